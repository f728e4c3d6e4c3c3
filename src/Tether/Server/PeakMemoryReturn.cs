using System.Diagnostics;

namespace Tether.Server;

/// <summary>
/// Gives memory back to the operating system once the load has fallen from a peak: when the connections and sessions
/// held drop to a quarter of the most seen since the last return (a peak of at least <see cref="MinimumPeak"/>), one
/// aggressive, compacting full collection runs.
/// </summary>
/// <remarks>
/// Why: after a storm or a wave of churn the collector keeps the regions it emptied committed, and decommits them
/// only a little at each later collection, in proportion to the time since the one before. A connection server at rest
/// collects rarely, so the peak's memory stayed resident for as long as the server stayed quiet, by an amount that
/// depended on when its last collections happened to run. The check is one clock-driven timer per server that reads
/// two counts; the collection pauses the process for a time that grows with what is still live, and happens at most
/// once per fall to a quarter (docs/benchmarks.md, "Runtime settings", has the pauses measured).
/// </remarks>
internal sealed class PeakMemoryReturn : IDisposable
{
    /// <summary>Below this many connections and sessions a peak is not worth a full collection.</summary>
    internal const int MinimumPeak = 4_096;

    /// <summary>How often the load is read.</summary>
    internal static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(5);

    private readonly Func<int> _load;
    private readonly Func<MemoryReturned> _collect;
    private readonly Action<MemoryReturned> _returned;
    private readonly TimeProvider _time;
    private ITimer? _timer;
    private int _peak;
    private int _checking;

    /// <param name="load">How many connections and sessions the server holds now.</param>
    /// <param name="collect">Runs the collection and says what it gave back (<see cref="CollectAggressively"/> in production).</param>
    /// <param name="returned">Told of each return (log line and metric).</param>
    /// <param name="time">Drives the checks.</param>
    public PeakMemoryReturn(Func<int> load, Func<MemoryReturned> collect, Action<MemoryReturned> returned, TimeProvider time)
    {
        _load = load;
        _collect = collect;
        _returned = returned;
        _time = time;
    }

    /// <summary>The highest load seen since the last return (read by tests).</summary>
    internal int Peak => Volatile.Read(ref _peak);

    public void Start() =>
        _timer = _time.CreateTimer(static state => ((PeakMemoryReturn)state!).Check(), this, CheckInterval, CheckInterval);

    /// <summary>One check: raise the peak, or return memory if the load has fallen to a quarter of it.</summary>
    internal void Check()
    {
        // A collection can outlast the interval; the next check just skips.
        if (Interlocked.Exchange(ref _checking, 1) != 0)
        {
            return;
        }

        try
        {
            var now = _load();
            if (now > _peak)
            {
                Volatile.Write(ref _peak, now);
                return;
            }

            if (_peak < MinimumPeak || now > _peak / 4)
            {
                return;
            }

            var peak = _peak;
            Volatile.Write(ref _peak, now);
            _returned(_collect() with { Peak = peak, Load = now });
        }
        finally
        {
            Volatile.Write(ref _checking, 0);
        }
    }

    /// <summary>A blocking, compacting full collection that decommits every region it can.</summary>
    internal static MemoryReturned CollectAggressively()
    {
        var before = GC.GetGCMemoryInfo().TotalCommittedBytes;
        var start = Stopwatch.GetTimestamp();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var pause = Stopwatch.GetElapsedTime(start);
        var after = GC.GetGCMemoryInfo();
        return new MemoryReturned(0, 0, before, after.TotalCommittedBytes, after.HeapSizeBytes, pause);
    }

    public void Dispose() => _timer?.Dispose();
}
