using System.Diagnostics;
using Tether.Framing;
using Tether.Fuzz.Engine;
using Tether.TestSupport;

namespace Tether.Fuzz.Tests;

/// <summary>The fuzzer (tools/Tether.Fuzz): its options, a passing run, reproducibility, and failures reported with their input.</summary>
public sealed class FuzzCommandTests
{
    [Fact]
    public async Task A_two_second_run_passes_and_prints_progress_and_one_summary_line()
    {
        await using var fuzz = StartFuzzer("--duration", "2s", "--seed", "7");
        Assert.Equal(ExitCodes.Success, await fuzz.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        var summary = Assert.Single(fuzz.StdoutLines);
        Assert.StartsWith("fuzz: passed, ", summary, StringComparison.Ordinal);
        Assert.Contains("seed 7", summary, StringComparison.Ordinal);
        foreach (var family in FuzzCatalog.Families)
        {
            Assert.Contains($"{family} ", summary, StringComparison.Ordinal);
        }

        // Progress lines come about once a second of real time, so a loaded machine may print none in a 2 s run: what
        // stderr carries is checked, not how many lines.
        Assert.All(fuzz.StderrLines, line => Assert.StartsWith("fuzz: ", line, StringComparison.Ordinal));
    }

    [Fact]
    public void The_same_seed_checks_the_same_inputs_and_another_seed_does_not()
    {
        var first = Run(new FuzzOptions { Seed = 42, Cases = 400 }, FuzzCatalog.All);
        var again = Run(new FuzzOptions { Seed = 42, Cases = 400 }, FuzzCatalog.All);
        var other = Run(new FuzzOptions { Seed = 43, Cases = 400 }, FuzzCatalog.All);

        Assert.Equal(ExitCodes.Success, first.ExitCode);
        Assert.Equal(Fingerprint(first.Output), Fingerprint(again.Output));
        Assert.NotEqual(Fingerprint(first.Output), Fingerprint(other.Output));
    }

    [Theory]
    [InlineData("length-prefixed u16 max 20")]
    [InlineData("lines max 16")]
    public void A_broken_decoder_fails_the_run_with_its_seed_and_a_small_input_in_hex(string name)
    {
        FuzzTarget broken = name.StartsWith("lines", StringComparison.Ordinal)
            ? new LinesTarget(16, new NulCrashingLineFraming())
            : new LengthPrefixedTarget(LengthPrefix.UInt16, 20, new LowByteLengthFraming());
        var options = new FuzzOptions { Seed = 5, Duration = TimeSpan.FromSeconds(20) };
        var run = Run(options, [broken]);
        var rerun = Run(options, [broken]);

        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // The same case, reason and minimal input again; only the rate in the summary line may differ.
        Assert.Equal(lines[..^1], rerun.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[..^1]);
        Assert.StartsWith($"fuzz: failure in {name} ", lines[0], StringComparison.Ordinal);
        Assert.Contains($"--framing {broken.Family} --seed 5", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("fuzz: FAILED, ", lines[^1], StringComparison.Ordinal);

        // Minimized: a length prefix and a few bytes, or a line with a NUL.
        var hex = lines[1][(lines[1].LastIndexOf(' ') + 1)..];
        Assert.InRange(Convert.FromHexString(hex).Length, 1, 8);
    }

    [Theory]
    [InlineData("fuzz: --framing: 'json' is not a framing (all, tether, lines, length-prefixed, raw) (see --help)", "--framing", "json")]
    [InlineData("fuzz: --duration: must be more than zero (see --help)", "--duration", "0")]
    [InlineData("fuzz: --duration: 'long' is not a duration (e.g. 250ms, 30s, 1.5s, 2m, 1h) (see --help)", "--duration", "long")]
    [InlineData("fuzz: --seed: must be at least 0, not -1 (see --help)", "--seed", "-1")]
    [InlineData("fuzz: --max-size: must be at least 1, not 0 (see --help)", "--max-size", "0")]
    [InlineData("fuzz: --cases: 'many' is not a whole number (see --help)", "--cases", "many")]
    [InlineData("fuzz: unrecognized option '--bogus' (see --help)", "--bogus")]
    public async Task Bad_options_are_one_line_errors(string expected, params string[] args)
    {
        var errors = new StringWriter();
        var exitCode = await FuzzApp.RunAsync(args, TextWriter.Null, errors);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal(expected + Environment.NewLine, errors.ToString());
    }

    [Fact]
    public async Task Help_lists_every_option()
    {
        var output = new StringWriter();
        Assert.Equal(ExitCodes.Success, await FuzzApp.RunAsync(["--help"], output, TextWriter.Null));

        foreach (var option in new[] { "--framing", "--duration", "--seed", "--max-size", "--cases" })
        {
            Assert.Contains(option, output.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Defaults_are_every_framing_for_sixty_seconds_from_a_random_seed()
    {
        var command = new FuzzCommand(TextWriter.Null, TextWriter.Null);
        var options = command.BuildOptions(command.Parse([]));

        Assert.Equal("all", options.Framing);
        Assert.Equal(TimeSpan.FromSeconds(60), options.Duration);
        Assert.Equal(4096, options.MaxSize);
        Assert.Null(options.Cases);
        Assert.InRange(options.Seed, 0, int.MaxValue);
    }

    private static (int ExitCode, string Output) Run(FuzzOptions options, IReadOnlyList<FuzzTarget> targets)
    {
        var output = new StringWriter();
        var exitCode = FuzzCommand.Run(options, targets, output, TextWriter.Null, TimeProvider.System, CancellationToken.None);
        return (exitCode, output.ToString());
    }

    /// <summary>The built fuzzer (<c>dotnet Tether.Fuzz.dll ...</c>), as CI and a developer run it.</summary>
    private static ChildProcess StartFuzzer(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        start.ArgumentList.Add(typeof(FuzzApp).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return ChildProcess.Start(start, "the fuzzer");
    }

    private static string Fingerprint(string output) => output.Trim()[(output.Trim().LastIndexOf(' ') + 1)..];
}
