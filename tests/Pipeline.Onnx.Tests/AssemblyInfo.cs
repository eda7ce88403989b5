// libtorch has one global RNG (manual_seed) and one thread setting per process: a test that seeds and builds a
// model while another does the same gets other weights. Every test here relies on its seed, so they run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
