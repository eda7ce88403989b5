using Pipeline.Data;
using Pipeline.Evaluation;
using Pipeline.Experiments;
using Pipeline.Inference;
using Pipeline.Models;
using Pipeline.Onnx;
using Pipeline.Training;
using Spectre.Console;

namespace Pipeline.Cli;

/// <summary>Exit codes schedulers can act on, and one-line errors for user mistakes (no stack traces).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int UsageError = 2;
    public const int Regression = 3;
    public const int Interrupted = 130;
}

public static class ErrorHandling
{
    public static async Task<int> RunAsync(Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception e) when (UserMessage(e) is { } message)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {message}");
            return e is OperationCanceledException ? ExitCodes.Interrupted : ExitCodes.UsageError;
        }
    }

    /// <summary>The message to show for errors a user can fix; null for bugs (which keep their trace).</summary>
    private static string? UserMessage(Exception e) => e switch
    {
        TorchRuntimeUnavailableException or RunSpecException or TrainingDivergedException
            or InvalidDataException or FileNotFoundException or DirectoryNotFoundException
            or UnauthorizedAccessException or ImagenetteDataException or OnnxExportException or EvaluationException or InvalidModelException or UsageException => e.Message,
        OperationCanceledException => "interrupted. Finished epochs are checkpointed: run the same command again to resume.",
        AggregateException { InnerExceptions.Count: 1 } agg => UserMessage(agg.InnerException!),
        _ => null,
    };
}

/// <summary>A command-line mistake: shown as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
