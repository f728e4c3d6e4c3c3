using System.Diagnostics.Metrics;

namespace Tether.Admin.Dashboard;

/// <summary>
/// Once per second, turns what the server's instruments reported into one <see cref="DashboardSample"/> in the ring,
/// with the current connection and session counts (both O(1) reads). One timer per dashboard, none per connection.
/// </summary>
internal sealed class DashboardSampler : IDisposable
{
    private readonly SecondTally _tally = new();
    private readonly ServerMeterListener _listener;
    private readonly Func<(int Connections, int Sessions)> _counts;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;

    /// <param name="counts">Reads the current connection and session counts.</param>
    /// <param name="historySeconds">Samples kept.</param>
    /// <param name="time">The clock (tests pass a fake one and advance it).</param>
    /// <param name="meterFilter">Which meters to listen to; by default every <c>Tether.Server</c> meter.</param>
    public DashboardSampler(Func<(int Connections, int Sessions)> counts, int historySeconds, TimeProvider time, Func<Meter, bool>? meterFilter = null)
    {
        _counts = counts;
        _time = time;
        Ring = new SampleRing(historySeconds);
        _listener = new ServerMeterListener(_tally, meterFilter);
        _timer = time.CreateTimer(static state => ((DashboardSampler)state!).SampleNow(), this, Interval, Interval);
    }

    /// <summary>The time between samples.</summary>
    public static TimeSpan Interval { get; } = TimeSpan.FromSeconds(1);

    /// <summary>The history.</summary>
    public SampleRing Ring { get; }

    /// <summary>Takes a sample now (the timer's callback).</summary>
    public void SampleNow()
    {
        var (connections, sessions) = _counts();
        Ring.Add(new DashboardSample(Ring.NextSequence, _time.GetUtcNow(), connections, sessions, _tally.TakeAndReset()));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _timer.Dispose();
        _listener.Dispose();
    }
}
