namespace Pipeline.Models.Tests;

/// <summary>
/// The state_dict keys PyTorch prints for <c>torchvision.models.resnet18(num_classes=10).state_dict().keys()</c>,
/// in its order (parameters, then buffers, module by module in registration order). timm's
/// <c>timm.create_model('resnet18', num_classes=10)</c> prints the same list: its extra modules (act1, act2,
/// global_pool) hold no parameters or buffers. Written out in full rather than generated, so the model code is
/// checked against PyTorch and not against itself.
/// </summary>
internal static class PyTorchStateDictKeys
{
    public static readonly string[] ResNet18 = """
        conv1.weight
        bn1.weight
        bn1.bias
        bn1.running_mean
        bn1.running_var
        bn1.num_batches_tracked
        layer1.0.conv1.weight
        layer1.0.bn1.weight
        layer1.0.bn1.bias
        layer1.0.bn1.running_mean
        layer1.0.bn1.running_var
        layer1.0.bn1.num_batches_tracked
        layer1.0.conv2.weight
        layer1.0.bn2.weight
        layer1.0.bn2.bias
        layer1.0.bn2.running_mean
        layer1.0.bn2.running_var
        layer1.0.bn2.num_batches_tracked
        layer1.1.conv1.weight
        layer1.1.bn1.weight
        layer1.1.bn1.bias
        layer1.1.bn1.running_mean
        layer1.1.bn1.running_var
        layer1.1.bn1.num_batches_tracked
        layer1.1.conv2.weight
        layer1.1.bn2.weight
        layer1.1.bn2.bias
        layer1.1.bn2.running_mean
        layer1.1.bn2.running_var
        layer1.1.bn2.num_batches_tracked
        layer2.0.conv1.weight
        layer2.0.bn1.weight
        layer2.0.bn1.bias
        layer2.0.bn1.running_mean
        layer2.0.bn1.running_var
        layer2.0.bn1.num_batches_tracked
        layer2.0.conv2.weight
        layer2.0.bn2.weight
        layer2.0.bn2.bias
        layer2.0.bn2.running_mean
        layer2.0.bn2.running_var
        layer2.0.bn2.num_batches_tracked
        layer2.0.downsample.0.weight
        layer2.0.downsample.1.weight
        layer2.0.downsample.1.bias
        layer2.0.downsample.1.running_mean
        layer2.0.downsample.1.running_var
        layer2.0.downsample.1.num_batches_tracked
        layer2.1.conv1.weight
        layer2.1.bn1.weight
        layer2.1.bn1.bias
        layer2.1.bn1.running_mean
        layer2.1.bn1.running_var
        layer2.1.bn1.num_batches_tracked
        layer2.1.conv2.weight
        layer2.1.bn2.weight
        layer2.1.bn2.bias
        layer2.1.bn2.running_mean
        layer2.1.bn2.running_var
        layer2.1.bn2.num_batches_tracked
        layer3.0.conv1.weight
        layer3.0.bn1.weight
        layer3.0.bn1.bias
        layer3.0.bn1.running_mean
        layer3.0.bn1.running_var
        layer3.0.bn1.num_batches_tracked
        layer3.0.conv2.weight
        layer3.0.bn2.weight
        layer3.0.bn2.bias
        layer3.0.bn2.running_mean
        layer3.0.bn2.running_var
        layer3.0.bn2.num_batches_tracked
        layer3.0.downsample.0.weight
        layer3.0.downsample.1.weight
        layer3.0.downsample.1.bias
        layer3.0.downsample.1.running_mean
        layer3.0.downsample.1.running_var
        layer3.0.downsample.1.num_batches_tracked
        layer3.1.conv1.weight
        layer3.1.bn1.weight
        layer3.1.bn1.bias
        layer3.1.bn1.running_mean
        layer3.1.bn1.running_var
        layer3.1.bn1.num_batches_tracked
        layer3.1.conv2.weight
        layer3.1.bn2.weight
        layer3.1.bn2.bias
        layer3.1.bn2.running_mean
        layer3.1.bn2.running_var
        layer3.1.bn2.num_batches_tracked
        layer4.0.conv1.weight
        layer4.0.bn1.weight
        layer4.0.bn1.bias
        layer4.0.bn1.running_mean
        layer4.0.bn1.running_var
        layer4.0.bn1.num_batches_tracked
        layer4.0.conv2.weight
        layer4.0.bn2.weight
        layer4.0.bn2.bias
        layer4.0.bn2.running_mean
        layer4.0.bn2.running_var
        layer4.0.bn2.num_batches_tracked
        layer4.0.downsample.0.weight
        layer4.0.downsample.1.weight
        layer4.0.downsample.1.bias
        layer4.0.downsample.1.running_mean
        layer4.0.downsample.1.running_var
        layer4.0.downsample.1.num_batches_tracked
        layer4.1.conv1.weight
        layer4.1.bn1.weight
        layer4.1.bn1.bias
        layer4.1.bn1.running_mean
        layer4.1.bn1.running_var
        layer4.1.bn1.num_batches_tracked
        layer4.1.conv2.weight
        layer4.1.bn2.weight
        layer4.1.bn2.bias
        layer4.1.bn2.running_mean
        layer4.1.bn2.running_var
        layer4.1.bn2.num_batches_tracked
        fc.weight
        fc.bias
        """.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// fastai's <c>create_head(1024, 10)</c> keys under a module named <c>head</c>: the Sequential's BatchNorm1d
    /// (2, 6) and bias-free Linear (4, 8) children. They replace <c>fc.*</c>.
    /// </summary>
    public static readonly string[] FastaiHead = """
        head.2.weight
        head.2.bias
        head.2.running_mean
        head.2.running_var
        head.2.num_batches_tracked
        head.4.weight
        head.6.weight
        head.6.bias
        head.6.running_mean
        head.6.running_var
        head.6.num_batches_tracked
        head.8.weight
        """.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
