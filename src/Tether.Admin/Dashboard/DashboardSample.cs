namespace Tether.Admin.Dashboard;

/// <summary>One second of the dashboard's history.</summary>
/// <param name="Sequence">Increases by one per sample; the page asks for samples after the last one it has.</param>
/// <param name="Time">When the sample was taken.</param>
/// <param name="Connections">Connections open at that moment.</param>
/// <param name="Sessions">Sessions held at that moment (attached or detached).</param>
/// <param name="Counts">What the instruments reported during the second before.</param>
internal sealed record DashboardSample(long Sequence, DateTimeOffset Time, int Connections, int Sessions, TallyCounts Counts);
