using System.Globalization;
using Tether.Cli.Parsing;

namespace Tether.Fuzz.Engine;

/// <summary>The lines the fuzzer prints: progress, the summary, and a failure with what reproduces it.</summary>
internal static class FuzzText
{
    // Past this many reads the sizes say less than the count.
    private const int MaxReadsListed = 16;

    public static string Progress(FuzzProgress progress) =>
        $"fuzz: {DurationParser.Format(TimeSpan.FromSeconds(Math.Round(progress.Elapsed.TotalSeconds)))}, "
        + $"{Count(progress.Cases)} cases ({Rate(progress.Cases, progress.Elapsed)}/s): {Families(progress.CasesByFamily)}";

    public static string Summary(FuzzReport report, FuzzOptions options) =>
        $"fuzz: {(report.Failure is null ? "passed" : "FAILED")}, {Count(report.Cases)} cases in "
        + $"{report.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s ({Rate(report.Cases, report.Elapsed)}/s): "
        + $"{Families(report.CasesByFamily)}; seed {options.Seed.ToString(CultureInfo.InvariantCulture)}, "
        + $"max size {options.MaxSize.ToString(CultureInfo.InvariantCulture)}, fingerprint {report.Fingerprint}";

    /// <summary>What failed, the minimal input in hex, and the command that meets the same case again.</summary>
    public static IEnumerable<string> Failure(FuzzFailure failure, long caseIndex, FuzzOptions options)
    {
        var reads = Reads.Cut(failure.Input, failure.Cuts).Count;
        yield return $"fuzz: failure in {failure.Target.Name} (case {caseIndex.ToString(CultureInfo.InvariantCulture)} of that decoder): {failure.Reason}";
        yield return $"fuzz: input, {failure.Input.Length.ToString(CultureInfo.InvariantCulture)} bytes in "
            + (reads <= MaxReadsListed ? $"reads of {failure.ReadSizes}" : $"{reads.ToString(CultureInfo.InvariantCulture)} reads")
            + $": {(failure.Input.Length == 0 ? "(empty)" : Convert.ToHexString(failure.Input))}";
        yield return $"fuzz: reproduce with: dotnet run --project tools/Tether.Fuzz -- --framing {failure.Target.Family} --seed {options.Seed.ToString(CultureInfo.InvariantCulture)} "
            + $"--max-size {options.MaxSize.ToString(CultureInfo.InvariantCulture)}";
    }

    private static string Families(IReadOnlyDictionary<string, long> counts) =>
        string.Join(", ", counts.Select(pair => $"{pair.Key} {Count(pair.Value)}"));

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Rate(long cases, TimeSpan elapsed) =>
        (elapsed.TotalSeconds > 0 ? cases / elapsed.TotalSeconds : 0).ToString("N0", CultureInfo.InvariantCulture);
}
