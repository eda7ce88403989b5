using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Data;
using Pipeline.Evaluation;
using Pipeline.Evaluation.Tests.Fixtures;
using Pipeline.Experiments;
using Pipeline.Inference;
using Pipeline.Models;
using Pipeline.Onnx;
using Pipeline.Reporting;
using Pipeline.Testing;
using Pipeline.Training;
using TorchSharp;
using Xunit.Abstractions;

namespace Pipeline.Cli.Tests;

/// <summary>
/// Seeded random damage to every kind of file the tool reads (an ONNX model, a checkpoint, run, pipeline and
/// evaluation-plan JSON, the labels CSV, a JPEG), fed to the library entry points the commands call, in-process. Every
/// outcome is classified by the tool's own <see cref="ErrorHandling.Classify"/>: it must be success (0) or a mistake in
/// the input (2), never a bug (1, an unhandled exception). Deterministic: the same seed damages the same bytes.
/// </summary>
public sealed class MutationFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int Mutations = 300;
    private readonly CliSandbox _sandbox = new(trainPerClass: 1, valPerClass: 1);
    private readonly TestModels _models = new();

    public void Dispose()
    {
        _sandbox.Dispose();
        _models.Dispose();
    }

    [Fact]
    public void An_onnx_model_damaged_at_random_is_scored_or_refused_never_a_crash()
    {
        var dataset = ImageFolderDataset.Open(_sandbox.Data);
        var set = DatasetOptions.EvaluationSetOf(dataset, dataset.Val, "val");
        var evaluator = new ModelEvaluator(new EvaluationOptions { Device = ComputeDevice.Cpu });
        byte[] original = File.ReadAllBytes(_models.Random("original"));
        string path = _models.Path_("mutated.onnx");

        Fuzz("ONNX model", seed: 1, original, mutated =>
        {
            File.WriteAllBytes(path, mutated);
            OnnxValidator.Validate(path, dataset.Val, dataset.Classes.Ids, "val", dataset.Fingerprint, batchSize: 16); // validate
            evaluator.EvaluateAll([new ModelToEvaluate(path)], set);                       // evaluate
        });
    }

    [Fact]
    public void A_checkpoint_damaged_at_random_is_refused_never_a_crash()
    {
        // A small module's checkpoint in the real format; half the mutations are sealed with a fresh checksum, so the
        // parser behind the checksum (header, TorchSharp's tensors, the optimizer, the RNG) meets them too.
        TorchRuntime.EnsureLoaded();
        string path = _sandbox.Path_("checkpoint.bin");
        using (var module = torch.nn.Linear(4, 3))
        using (var optimizer = torch.optim.Adam(module.parameters()))
            Checkpoint.Save(path, new Checkpoint.Header("{}", 1, 1, [], "fingerprint"), module, optimizer);
        byte[] original = File.ReadAllBytes(path);
        var sealedOne = new bool[1];

        var outcomes = Fuzz("checkpoint", seed: 2, original, mutated =>
        {
            File.WriteAllBytes(path, sealedOne[0] ? Sealed(mutated) : mutated);
            using var module = torch.nn.Linear(4, 3);
            using var optimizer = torch.optim.Adam(module.parameters());
            Checkpoint.Load(path, module, optimizer); // train's resume
        }, beforeEach: i => sealedOne[0] = i % 2 == 1);
        Assert.True(outcomes.Accepted == 0 || outcomes.Refused > Mutations / 2, "unsealed damage must always be refused");
    }

    private static byte[] Sealed(byte[] content)
    {
        if (content.Length < 32)
            return content;
        byte[] body = content[..^32];
        return [.. body, .. SHA256.HashData(body)];
    }

    [Fact]
    public void A_run_file_damaged_at_random_is_loaded_or_refused_never_a_crash()
    {
        string path = _sandbox.Path_("run.json");
        byte[] original = File.ReadAllBytes(TestRepository.PathOf("pipelines/runs/reference-timm.json"));
        string runs = _sandbox.Path_("runs");

        FuzzJson("run file", seed: 3, original, mutated =>
        {
            File.WriteAllBytes(path, mutated);
            var spec = RunSpec.Load(path).ForThisMachine(); // train <run-file>, up to what it reads before training
            spec.ThrowIfInvalid(path);
            _ = (spec.Recipe, spec.ModelConfig, spec.ResizeSide, RunFolder.For(runs, spec).Path);
        });
    }

    [Fact]
    public void A_pipeline_file_damaged_at_random_is_loaded_or_refused_never_a_crash()
    {
        string path = _sandbox.Path_("pipeline.json");
        byte[] original = File.ReadAllBytes(TestRepository.PathOf("pipelines/smoke.json"));

        FuzzJson("pipeline file", seed: 4, original, mutated =>
        {
            File.WriteAllBytes(path, mutated);
            foreach (var spec in ExperimentPipeline.Load(path).Runs()) // run <pipeline>: the plan of runs
                _ = (spec.ForThisMachine().Recipe, spec.ModelConfig, spec.ResizeSide);
        });
    }

    [Fact]
    public void An_evaluation_plan_damaged_at_random_is_loaded_or_refused_never_a_crash()
    {
        string path = _sandbox.Path_("plan.json");
        var plan = JsonNode.Parse(File.ReadAllText(TestRepository.PathOf("pipelines/evaluation.json")), documentOptions: JsonOptions)!;
        plan["models"] = new JsonArray(_models.Random("model"));
        byte[] original = Encoding.UTF8.GetBytes(plan.ToJsonString());
        var dataset = ImageFolderDataset.Open(_sandbox.Data);

        FuzzJson("evaluation plan", seed: 5, original, mutated =>
        {
            File.WriteAllBytes(path, mutated);
            var p = EvaluationPlan.Load(path); // evaluate --plan, up to scoring
            var images = DatasetOptions.SplitOf(dataset, p.Split, p.PerClassLimit > 0 ? p.PerClassLimit : null);
            _ = p.ToRequest(DatasetOptions.EvaluationSetOf(dataset, images, p.Split));
        });
    }

    [Fact]
    public void A_labels_csv_damaged_at_random_is_read_or_refused_never_a_crash()
    {
        string csv = Path.Combine(_sandbox.Data, "noisy_imagenette.csv");
        var dataset = ImageFolderDataset.Open(_sandbox.Data);
        var rows = dataset.Train.Concat(dataset.Val).Select(i =>
        {
            string wnid = ImagenetteClasses.All[i.Label].Id;
            return $"{i.RelativePath},{wnid},{wnid},{wnid},{wnid},{wnid},{i.RelativePath.StartsWith("val/", StringComparison.Ordinal)}";
        });
        byte[] original = Encoding.UTF8.GetBytes(string.Join('\n', ["path,noisy_labels_0,noisy_labels_1,noisy_labels_5,noisy_labels_25,noisy_labels_50,is_valid", .. rows]) + "\n");

        Fuzz("labels CSV", seed: 6, original, mutated =>
        {
            File.WriteAllBytes(csv, mutated);
            ImageFolderDataset.Open(_sandbox.Data);                   // every command that reads the data
            ImageFolderDataset.Open(_sandbox.Data, noisyPercent: 5); // a run with noisy labels
        });
    }

    [Fact]
    public void A_jpeg_damaged_at_random_is_decoded_or_refused_never_a_crash()
    {
        string image = _sandbox.FirstImage("val", "n01440764");
        byte[] original = File.ReadAllBytes(image);
        string cache = _sandbox.Path_("fuzz-cache");

        Fuzz("JPEG", seed: 7, original, mutated =>
        {
            File.WriteAllBytes(image, mutated);
            var dataset = ImageFolderDataset.Open(_sandbox.Data);                       // data verify, and every command's index
            var one = dataset.Val.Where(i => i.Path == image).ToList();
            ImageCheck.ThrowIfAnyUndecodable(one);                                     // data verify, evaluate
            using var decoded = DecodedImageCache.BuildOrOpen(one, 16, dataset.Fingerprint, cache); // train, validate
        });
    }

    private static readonly JsonDocumentOptions JsonOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private sealed record Outcomes(int Accepted, int Refused);

    /// <summary>Half byte-level damage, half well-formed JSON with a value of the wrong type, a key removed or one added.</summary>
    private Outcomes FuzzJson(string kind, int seed, byte[] original, Action<byte[]> read)
    {
        var rng = new Random(seed * 7919);
        return Fuzz(kind, seed, original, read, mutate: (bytes, r) => rng.Next(2) == 0 ? Mutate(bytes, r) : MutateJson(bytes, r));
    }

    private Outcomes Fuzz(string kind, int seed, byte[] original, Action<byte[]> read, Action<int>? beforeEach = null,
        Func<byte[], Random, byte[]>? mutate = null)
    {
        read(original); // the undamaged file is read: what follows measures damage, not a broken fixture
        var rng = new Random(seed);
        var failures = new List<string>();
        int accepted = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Mutations; i++)
        {
            beforeEach?.Invoke(i);
            byte[] mutated = (mutate ?? Mutate)(original, rng);
            try
            {
                read(mutated);
                accepted++;
            }
            catch (Exception e)
            {
                var (exitCode, message) = ErrorHandling.Classify(e);
                if (exitCode == ExitCodes.UsageError)
                    refused++;
                else
                    failures.Add($"{kind} mutation {i}: exit {exitCode}: {message.Split('\n')[0]} " +
                                 string.Join(" ", e.ToString().Split('\n').Where(l => l.Contains(" at Pipeline.", StringComparison.Ordinal)).Take(3).Select(l => l.Trim())));
            }
        }
        output.WriteLine($"{kind}: {Mutations} mutations, {accepted} accepted (exit 0), {refused} refused (exit 2), {failures.Count} other, {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(failures.Count == 0, $"{failures.Count} of {Mutations} damaged {kind}s were not answered with exit 0 or 2:\n" + string.Join('\n', failures.Take(10)));
        Assert.True(refused > 0, $"no damaged {kind} was refused: the mutations do not reach the checks");
        return new Outcomes(accepted, refused);
    }

    /// <summary>Truncation, flipped bytes, inserted garbage, or a span overwritten with garbage.</summary>
    private static byte[] Mutate(byte[] bytes, Random rng)
    {
        var result = new List<byte>(bytes);
        switch (rng.Next(4))
        {
            case 0:
                return bytes[..rng.Next(bytes.Length)];
            case 1:
                for (int n = rng.Next(1, 9); n > 0; n--)
                    result[rng.Next(result.Count)] ^= (byte)rng.Next(1, 256);
                break;
            case 2:
                result.InsertRange(rng.Next(result.Count + 1), Garbage(rng, rng.Next(1, 65)));
                break;
            default:
                int at = rng.Next(result.Count), length = Math.Min(rng.Next(1, 65), result.Count - at);
                result.RemoveRange(at, length);
                result.InsertRange(at, Garbage(rng, length));
                break;
        }
        return [.. result];
    }

    private static byte[] Garbage(Random rng, int length)
    {
        var garbage = new byte[length];
        rng.NextBytes(garbage);
        return garbage;
    }

    /// <summary>Well-formed JSON, wrong content: a value replaced by one of another type, a key removed, or an unknown key added.</summary>
    private static byte[] MutateJson(byte[] bytes, Random rng)
    {
        var root = JsonNode.Parse(bytes, documentOptions: JsonOptions)!;
        var nodes = new List<JsonNode>();
        void Collect(JsonNode? node)
        {
            if (node is null)
                return;
            if (node != root)
                nodes.Add(node);
            if (node is JsonObject o)
                foreach (var (_, child) in o.ToArray()) Collect(child);
            else if (node is JsonArray a)
                foreach (var child in a.ToArray()) Collect(child);
        }
        Collect(root);
        var target = nodes[rng.Next(nodes.Count)];
        JsonNode? replacement = rng.Next(9) switch
        {
            0 => JsonValue.Create("text"),
            1 => JsonValue.Create(""),
            2 => JsonValue.Create(-1),
            3 => JsonValue.Create(int.MaxValue),
            4 => JsonValue.Create(1e308),
            5 => JsonValue.Create(true),
            6 => null,
            7 => new JsonArray(1, "x"),
            _ => new JsonObject { ["k"] = 1 },
        };
        switch (target.Parent, rng.Next(4))
        {
            case (JsonObject parent, 0):
                parent.Remove(target.GetPropertyName());
                break;
            case (JsonObject parent, 1):
                parent["unexpectedKey"] = replacement;
                break;
            case (JsonObject parent, _):
                parent[target.GetPropertyName()] = replacement;
                break;
            case (JsonArray parent, _):
                parent[target.GetElementIndex()] = replacement;
                break;
        }
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }
}
