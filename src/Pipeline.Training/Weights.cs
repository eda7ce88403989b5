using Pipeline.Experiments;
using TorchSharp;

namespace Pipeline.Training;

/// <summary>A model's final weights (<c>model.bin</c>, TorchSharp's format), written atomically.</summary>
public static class Weights
{
    public static void Save(string path, torch.nn.Module module) =>
        AtomicFile.Write(path, s =>
        {
            using var writer = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true);
            MemoryFormat.WithContiguousTensors(module, null, () => module.save(writer));
        });
}
