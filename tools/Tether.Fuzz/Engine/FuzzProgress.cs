namespace Tether.Fuzz.Engine;

/// <summary>A progress snapshot: the time so far and the cases run per family.</summary>
internal sealed record FuzzProgress(TimeSpan Elapsed, IReadOnlyDictionary<string, long> CasesByFamily)
{
    public long Cases => CasesByFamily.Values.Sum();
}
