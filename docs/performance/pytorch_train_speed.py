# PyTorch's training speed on the same CPU, for docs/performance.md: torchvision's ResNets (10 classes), channels-last,
# bf16 autocast (CPU), SGD with Nesterov momentum, batch 64, random 64 px images, the same step count as
# `pipeline bench --steps 10` (2 warm-up steps, then 10 timed; STEPS=30 for `--steps 30`).
# Run with Debian's PyTorch (python3-torch, python3-torchvision):
#   /usr/bin/python3 docs/performance/pytorch_train_speed.py resnet18 resnet34 resnet50
import os, sys, time
import torch, torchvision

torch.manual_seed(0)
torch.set_num_threads(int(os.environ.get("THREADS", "2")))  # Debian's build starts with 1 here; the tool uses every core (2)
batch, size, warmup, steps = 64, 64, 2, int(os.environ.get("STEPS", "10"))
print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, {torch.get_num_threads()} threads")
for arch in sys.argv[1:] or ["resnet18", "resnet34", "resnet50"]:
    model = getattr(torchvision.models, arch)(num_classes=10).to(memory_format=torch.channels_last).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.025, momentum=0.9, nesterov=True, weight_decay=5e-5)
    x = torch.rand(batch, 3, size, size).to(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,))
    for i in range(warmup + steps):
        if i == warmup:
            start = time.perf_counter()
        optimizer.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    print(f"{arch}: {steps * batch / (time.perf_counter() - start):.1f} images/s")
