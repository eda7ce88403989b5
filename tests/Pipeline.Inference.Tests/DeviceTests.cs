namespace Pipeline.Inference.Tests;

public class DeviceTests
{
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
        if (device.IsGpu)
            Assert.Equal("CUDA:0", device.Description);
        else
            Assert.StartsWith("CPU (CUDA provider unavailable: ", device.Description);
    }

    [Fact]
    public void Gpu_on_request_without_cuda_is_an_error_not_a_silent_cpu_run()
    {
        if (ExecutionDevice.Select(ComputeDevice.Auto).IsGpu)
            return; // a machine with CUDA: nothing to refuse
        var ex = Assert.Throws<InvalidOperationException>(() => ExecutionDevice.Select(ComputeDevice.Gpu));
        Assert.Contains("--device cpu", ex.Message);
    }

    [Theory]
    [InlineData("[ErrorCode:RuntimeException] /src/provider_bridge_ort.cc:2043 Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file: No such file or directory",
        "libcublasLt.so.13: cannot open shared object file: No such file or directory")]
    [InlineData("[ONNXRuntimeError] : 1 : FAIL : no CUDA-capable device is detected", "no CUDA-capable device is detected")]
    public void Onnx_runtime_errors_are_shortened_to_the_actionable_part(string message, string expected) =>
        Assert.Equal(expected, ExecutionDevice.ShortReason(message));
}
