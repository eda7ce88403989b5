using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using Pipeline.Data;
using Pipeline.Evaluation;
using Pipeline.Experiments;
using Pipeline.Inference;
using Pipeline.Models;
using Pipeline.Onnx;
using Pipeline.Training;

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

/// <summary>
/// The one place that decides what an error means for the exit-code contract: a user's mistake is one line on
/// stderr and exit 2, an interruption exit 130, anything else a bug (its stack trace, exit 1, never a crash).
/// </summary>
public static class ErrorHandling
{
    /// <summary>Runs a parsed command line: parse errors first (exit 2, one line), then the command with its errors classified.</summary>
    public static async Task<int> RunAsync(ParseResult parse)
    {
        // A `--help` next to a mistake still shows the help: that is what the user asked for.
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            WriteError(ParseErrorMessage(parse));
            return ExitCodes.UsageError;
        }
        // Our own handler turns user mistakes into one line; System.CommandLine's would print a stack trace.
        return await RunAsync(() => parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
    }

    public static async Task<int> RunAsync(Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception e)
        {
            var (exitCode, message) = Classify(e);
            WriteError(message);
            return exitCode;
        }
    }

    /// <summary>
    /// The exit code and what to print for an exception that escaped a command: the message alone for errors a user
    /// can fix (2) and interruptions (130), the whole exception with its trace for bugs (1).
    /// </summary>
    internal static (int ExitCode, string Message) Classify(Exception e) => UserMessage(e) is { } message
        ? (IsInterruption(e) ? ExitCodes.Interrupted : ExitCodes.UsageError, message)
        : (ExitCodes.Failed, $"unexpected failure (a bug: please report it with this trace): {e}");

    private static bool IsInterruption(Exception e) =>
        e is OperationCanceledException || e is AggregateException { InnerExceptions.Count: 1 } agg && IsInterruption(agg.InnerException!);

    /// <summary>The message to show for errors a user can fix; null for bugs (which keep their trace).</summary>
    private static string? UserMessage(Exception e) => e switch
    {
        TorchRuntimeUnavailableException or RunSpecException or TrainingDivergedException
            or InvalidDataException or FileNotFoundException or DirectoryNotFoundException
            or UnauthorizedAccessException or DatasetException or StateDictMismatchException or OnnxExportException or EvaluationException or InvalidModelException or UsageException => e.Message,
        OperationCanceledException => "interrupted. Finished epochs are checkpointed: run the same command again to resume.",
        AggregateException { InnerExceptions.Count: 1 } agg => UserMessage(agg.InnerException!),
        _ => null,
    };

    /// <summary>
    /// One line for a command line that does not parse: the first error in words, and where the options are
    /// explained (`pipeline train --help`), instead of the whole help text.
    /// </summary>
    internal static string ParseErrorMessage(ParseResult parse)
    {
        var commands = new List<string>();
        for (SymbolResult? s = parse.CommandResult; s is not null; s = s.Parent)
        {
            if (s is CommandResult c)
                commands.Insert(0, c.Command.Name);
        }
        string problems = string.Join("; ", parse.Errors.Select(Describe).Distinct());
        return $"{problems}. See `{string.Join(' ', commands)} --help`.";
    }

    /// <summary>An error in words: a value of the wrong kind says which kind (System.CommandLine names the .NET type instead).</summary>
    private static string Describe(ParseError error)
    {
        if (error.SymbolResult is OptionResult { Option: var option } result && result.Tokens.Count > 0)
        {
            string given = string.Join(' ', result.Tokens.Select(t => t.Value));
            string? expected = (Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType) switch
            {
                { IsEnum: true } type => "one of " + string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant())),
                var type when type == typeof(int) || type == typeof(long) => "a whole number",
                var type when type == typeof(double) || type == typeof(float) => "a number",
                _ => null,
            };
            if (expected is not null && error.Message.StartsWith("Cannot parse", StringComparison.Ordinal))
                return $"{option.Name} '{given}' is not {expected}";
        }
        return error.Message.Split('\n')[0].Trim().TrimEnd('.');
    }

    /// <summary>Errors go to stderr unwrapped, so a log or a scheduler sees each on one line whatever the terminal width.</summary>
    private static void WriteError(string message) => Console.Error.WriteLine($"error: {message}");
}

/// <summary>A command-line mistake: shown as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
