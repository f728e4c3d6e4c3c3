using System.CommandLine;
using System.Globalization;
using Tether.Cli.Parsing;
using Tether.Fuzz.Engine;

namespace Tether.Fuzz;

/// <summary>
/// The fuzzer's command line: the release check behind the decoder properties, run for as long as it is given. Feeds
/// every decoder mutated streams in random reads and checks each against its model; exit code 2 with the minimal input
/// on the first failure.
/// </summary>
internal sealed class FuzzCommand : RootCommand
{
    private static readonly FuzzOptions Defaults = new();

    private readonly TextWriter _output;
    private readonly TextWriter _progress;

    private readonly Option<string> _framing = new("--framing")
    {
        Description = $"Which decoders to fuzz: all, {string.Join(", ", FuzzCatalog.Families)}.",
        HelpName = "framing",
        DefaultValueFactory = _ => "all",
        CustomParser = result =>
        {
            var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
            if (token == "all" || FuzzCatalog.Families.Contains(token))
            {
                return token;
            }

            result.AddError($"--framing: '{token}' is not a framing (all, {string.Join(", ", FuzzCatalog.Families)})");
            return "all";
        },
    };

    private readonly Option<TimeSpan?> _duration = OptionParsers.Duration("--duration", "How long to fuzz.", Defaults.Duration);

    private readonly Option<int?> _seed = OptionParsers.OptionalInt(
        "--seed", "Seed of the run; the same seed meets the same cases again. [default: random, printed]", min: 0);

    private readonly Option<int> _maxSize = OptionParsers.Int(
        "--max-size", "About how many bytes each generated stream holds before it is mutated.", Defaults.MaxSize, min: 1, helpName: "bytes");

    private readonly Option<int?> _cases = OptionParsers.OptionalInt(
        "--cases", "Stop after this many cases, even if --duration is not over. [default: no limit]", min: 1);

    /// <summary>A command that prints its summary to <paramref name="output"/> and its progress to <paramref name="progress"/>.</summary>
    public FuzzCommand(TextWriter output, TextWriter progress)
        : base("Fuzz every decoder (Tether frames and the typed frame parsers, lines, length-prefixed, raw): valid "
            + "streams of random messages are mutated (bit flips, overwrites, inserts, deletes, truncation, duplicated "
            + "ranges, extreme length fields) and fed whole and in random reads; each must decode as the decoder's model "
            + "says or stop with the documented protocol error. Progress goes to stderr about once a second, the summary "
            + "to stdout. Exit code 0 when every case passed, 1 for an invalid command line, 2 on the first failure, "
            + "printed with its minimal input in hex. Ctrl-C ends the run early and still prints the summary.")
    {
        _output = output;
        _progress = progress;
        Options.Add(_framing);
        Options.Add(_duration);
        Options.Add(_seed);
        Options.Add(_maxSize);
        Options.Add(_cases);
        SetAction((result, _) => Task.FromResult(Run(result)));
    }

    internal FuzzOptions BuildOptions(ParseResult result) => new()
    {
        Framing = result.GetValue(_framing) ?? "all",
        Duration = result.GetValue(_duration) ?? Defaults.Duration,
        Seed = result.GetValue(_seed) ?? Random.Shared.Next(),
        MaxSize = result.GetValue(_maxSize),
        Cases = result.GetValue(_cases),
    };

    /// <summary>
    /// Runs the fuzz cases and prints the outcome; returns the exit code. The entry point, also for tests, which pass
    /// broken <paramref name="targets"/> to show that failures are caught.
    /// </summary>
    internal static int Run(FuzzOptions options, IReadOnlyList<FuzzTarget> targets, TextWriter output, TextWriter progress, TimeProvider time, CancellationToken stop)
    {
        progress.WriteLine($"fuzz: {string.Join(", ", targets.Select(t => t.Name))} for "
            + $"{DurationParser.Format(options.Duration)}, seed {options.Seed.ToString(CultureInfo.InvariantCulture)}");
        var report = new FuzzRunner(targets, options, snapshot => progress.WriteLine(FuzzText.Progress(snapshot)), time).Run(stop);
        if (report.Failure is { } failure)
        {
            foreach (var line in FuzzText.Failure(failure, report.FailedCase, options))
            {
                output.WriteLine(line);
            }
        }

        output.WriteLine(FuzzText.Summary(report, options));
        return report.Failure is null ? ExitCodes.Success : ExitCodes.Failure;
    }

    private int Run(ParseResult result)
    {
        var options = BuildOptions(result);
        using var signal = new StopSignal();
        return Run(options, FuzzCatalog.Select(options.Framing), _output, _progress, TimeProvider.System, signal.Stopping);
    }
}
