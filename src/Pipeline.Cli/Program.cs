using System.CommandLine;
using Pipeline.Cli;

var root = new RootCommand(
    "Trains torchvision- and timm-style ResNet18s on Imagenette with TorchSharp, exports them to ONNX, " +
    "and evaluates them with ML.NET: why does timm's ResNet18 train worse in short runs?")
{
    TrainCommand.Create(),
};
return await ErrorHandling.RunAsync(() => root.Parse(args).InvokeAsync());
