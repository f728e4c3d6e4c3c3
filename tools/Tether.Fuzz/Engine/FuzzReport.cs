namespace Tether.Fuzz.Engine;

/// <summary>What a fuzz run did: cases per family, how long, a fingerprint of every input checked, and the failure.</summary>
/// <param name="CasesByFamily">The cases run per family.</param>
/// <param name="Elapsed">How long the run took.</param>
/// <param name="Fingerprint">A hash of every checked input in order: two runs with the same seed and case count agree.</param>
/// <param name="Failure">The first failure, minimized; null when every case passed.</param>
/// <param name="FailedCase">The failing case's number for its target.</param>
internal sealed record FuzzReport(
    IReadOnlyDictionary<string, long> CasesByFamily,
    TimeSpan Elapsed,
    string Fingerprint,
    FuzzFailure? Failure,
    long FailedCase)
{
    public long Cases => CasesByFamily.Values.Sum();
}
