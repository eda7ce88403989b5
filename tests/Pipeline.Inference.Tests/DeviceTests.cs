using System.Text;

namespace Pipeline.Inference.Tests;

public sealed class DeviceTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("cuda-probe-");

    public void Dispose() => _folder.Delete(recursive: true);

    /// <summary>What the device says when Auto ran on the CPU: why CUDA did not run, in the probe's words.</summary>
    internal const string CpuWithReason = @"CPU \((CUDA provider not installed|no CUDA|a session on CUDA:\d+ did not start): .+\)";

    [Fact]
    public void Cpu_on_request_is_plain_cpu()
    {
        var device = ExecutionDevice.Select(ComputeDevice.Cpu);
        Assert.False(device.IsGpu);
        Assert.Equal("CPU", device.Description);
    }

    [Fact]
    public void Auto_runs_on_cuda_or_says_why_not()
    {
        var device = ExecutionDevice.Select(ComputeDevice.Auto);
        Assert.Matches($"^(CUDA:0|{CpuWithReason})$", device.Description);
        Assert.Equal(device.Description.StartsWith("CUDA", StringComparison.Ordinal), device.IsGpu);
    }

    [Fact]
    public void Gpu_on_request_is_cuda_where_auto_finds_it_and_an_error_elsewhere_never_a_silent_cpu_run()
    {
        var auto = ExecutionDevice.Select(ComputeDevice.Auto);
        if (auto.IsGpu)
        {
            Assert.Equal(auto, ExecutionDevice.Select(ComputeDevice.Gpu));
        }
        else
        {
            var ex = Assert.Throws<InvalidOperationException>(() => ExecutionDevice.Select(ComputeDevice.Gpu));
            Assert.Contains("--device cpu", ex.Message);
            Assert.Contains(auto.Description[5..^1], ex.Message); // the same reason as Auto's
        }
    }

    [Fact]
    public void Where_no_searched_folder_holds_onnx_runtime_the_probe_leaves_the_answer_to_onnx_runtime() =>
        Assert.Null(CudaProvider.WhyNotLoadable([_folder.FullName]));

    [Fact]
    public void Onnx_runtime_without_its_cuda_provider_library_is_named_as_such()
    {
        File.WriteAllBytes(Path.Combine(_folder.FullName, "libonnxruntime.so"), []);
        Assert.Equal("CUDA provider not installed: libonnxruntime_providers_cuda.so not found",
            CudaProvider.WhyNotLoadable([Path.Combine(_folder.FullName, "elsewhere"), _folder.FullName]));
    }

    [Fact]
    public void A_cuda_provider_whose_dependency_is_missing_names_that_library_without_asking_onnx_runtime()
    {
        // A real shared library that needs one that no machine has: ONNX Runtime's small providers_shared library
        // (copied to the test's output with the GPU build) with its libgcc_s.so.1 dependency renamed, same length.
        string shared = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libonnxruntime_providers_shared.so");
        byte[] elf = File.ReadAllBytes(shared);
        byte[] needed = Encoding.ASCII.GetBytes("libgcc_s.so.1\0"), missing = Encoding.ASCII.GetBytes("libmissing.so\0");
        int at = elf.AsSpan().IndexOf(needed);
        Assert.True(at > 0, $"{shared} no longer names libgcc_s.so.1: pick another of its dependencies to rename.");
        missing.CopyTo(elf, at);
        File.WriteAllBytes(Path.Combine(_folder.FullName, "libonnxruntime_providers_cuda.so"), elf);
        File.WriteAllBytes(Path.Combine(_folder.FullName, "libonnxruntime.so"), []);

        Assert.Equal("no CUDA: libmissing.so not found", CudaProvider.WhyNotLoadable([_folder.FullName]));
    }

    [Theory]
    [InlineData("Unable to load shared library '/app/runtimes/linux-x64/native/libonnxruntime_providers_cuda.so' or one of its dependencies. " +
                "In order to help diagnose loading problems, consider using a tool like strace. If you're using glibc, consider setting the LD_DEBUG environment variable: \n" +
                "libcublasLt.so.13: cannot open shared object file: No such file or directory", "libcublasLt.so.13")]
    [InlineData("/app/libonnxruntime_providers_cuda.so: invalid ELF header", null)]
    public void The_missing_library_is_read_from_the_loader_message(string message, string? expected) =>
        Assert.Equal(expected, CudaProvider.MissingLibrary(message));

    [Theory]
    [InlineData("[ErrorCode:RuntimeException] /src/provider_bridge_ort.cc:2043 Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file: No such file or directory",
        "libcublasLt.so.13: cannot open shared object file: No such file or directory")]
    [InlineData("[ONNXRuntimeError] : 1 : FAIL : no CUDA-capable device is detected", "no CUDA-capable device is detected")]
    public void Onnx_runtime_errors_are_shortened_to_the_actionable_part(string message, string expected) =>
        Assert.Equal(expected, ExecutionDevice.ShortReason(message));
}
