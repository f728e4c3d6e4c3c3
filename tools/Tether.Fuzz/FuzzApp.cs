using System.CommandLine;
using System.CommandLine.Invocation;

namespace Tether.Fuzz;

/// <summary>
/// The entry point: parse errors become one <c>fuzz: ...</c> line on stderr with exit code 1; the command itself
/// prints its progress and summary.
/// </summary>
internal static class FuzzApp
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors)
    {
        var parse = new FuzzCommand(output, errors).Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            await errors.WriteLineAsync(DescribeParseErrors(parse)).ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration
        {
            Output = output,
            Error = errors,
            // The run handles Ctrl-C itself (it stops and still prints its summary); the built-in handling would force
            // an exit after a fixed timeout.
            ProcessTerminationTimeout = null,
        };
        return await parse.InvokeAsync(configuration).ConfigureAwait(false);
    }

    /// <summary>All parse errors on one line, an unknown option said the way getopt says it.</summary>
    internal static string DescribeParseErrors(ParseResult parse)
    {
        const string Unrecognized = "Unrecognized command or argument '";
        var messages = parse.Errors
            .Select(e => e.Message.StartsWith(Unrecognized, StringComparison.Ordinal)
                ? $"unrecognized option '{e.Message[Unrecognized.Length..].TrimEnd('.').TrimEnd('\'')}'"
                : e.Message.TrimEnd('.'))
            .Distinct();
        return $"fuzz: {string.Join("; ", messages)} (see --help)";
    }
}
