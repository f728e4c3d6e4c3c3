using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Tether.Admin.Dashboard;

/// <summary>
/// What the server's instruments reported since the last sample: counters bumped from any thread with interlocked
/// adds, taken and reset once per second by <see cref="DashboardSampler"/>.
/// </summary>
internal sealed class SecondTally
{
    /// <summary>Distinct close reasons tracked by name; any more fold into <see cref="OtherReason"/> so a buggy tag cannot grow memory.</summary>
    public const int MaxReasons = 32;

    /// <summary>The name distinct reasons beyond <see cref="MaxReasons"/> are counted under.</summary>
    public const string OtherReason = "other";

    private readonly ConcurrentDictionary<string, StrongBox<long>> _disconnects = new(StringComparer.Ordinal);
    private readonly long[] _rtt = new long[RttBuckets.Count];
    private long _connects;
    private long _heartbeatTimeouts;
    private long _sessionsStarted;
    private long _sessionsResumed;
    private long _sessionsLost;
    private long _sessionsExpired;

    public void AddConnects(long count) => Interlocked.Add(ref _connects, count);

    public void AddHeartbeatTimeouts(long count) => Interlocked.Add(ref _heartbeatTimeouts, count);

    public void AddSessionsStarted(long count) => Interlocked.Add(ref _sessionsStarted, count);

    public void AddSessionsResumed(long count) => Interlocked.Add(ref _sessionsResumed, count);

    public void AddSessionsLost(long count) => Interlocked.Add(ref _sessionsLost, count);

    public void AddSessionsExpired(long count) => Interlocked.Add(ref _sessionsExpired, count);

    public void AddRtt(double milliseconds) => Interlocked.Increment(ref _rtt[RttBuckets.IndexOf(milliseconds)]);

    public void AddDisconnects(string? reason, long count)
    {
        var name = string.IsNullOrEmpty(reason) ? "unknown" : reason;
        if (!_disconnects.TryGetValue(name, out var box))
        {
            box = _disconnects.Count >= MaxReasons
                ? _disconnects.GetOrAdd(OtherReason, static _ => new StrongBox<long>())
                : _disconnects.GetOrAdd(name, static _ => new StrongBox<long>());
        }

        Interlocked.Add(ref box.Value, count);
    }

    /// <summary>Returns the counts since the last call and starts again from zero.</summary>
    public TallyCounts TakeAndReset()
    {
        var rtt = new long[_rtt.Length];
        for (var i = 0; i < rtt.Length; i++)
        {
            rtt[i] = Interlocked.Exchange(ref _rtt[i], 0);
        }

        var disconnects = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (reason, box) in _disconnects)
        {
            var count = Interlocked.Exchange(ref box.Value, 0);
            if (count != 0)
            {
                disconnects[reason] = count;
            }
        }

        return new TallyCounts(
            Interlocked.Exchange(ref _connects, 0),
            disconnects,
            Interlocked.Exchange(ref _heartbeatTimeouts, 0),
            Interlocked.Exchange(ref _sessionsStarted, 0),
            Interlocked.Exchange(ref _sessionsResumed, 0),
            Interlocked.Exchange(ref _sessionsLost, 0),
            Interlocked.Exchange(ref _sessionsExpired, 0),
            rtt);
    }
}

/// <summary>One second's worth of instrument counts.</summary>
internal sealed record TallyCounts(
    long Connects,
    IReadOnlyDictionary<string, long> Disconnects,
    long HeartbeatTimeouts,
    long SessionsStarted,
    long SessionsResumed,
    long SessionsLost,
    long SessionsExpired,
    IReadOnlyList<long> Rtt);
