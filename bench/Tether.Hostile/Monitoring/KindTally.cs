using System.Collections.Concurrent;
using System.Globalization;
using Tether.Hostile.Kinds;
using Tether.Hostile.Reporting;
using Tether.Hostile.Wire;
using Tether.Protocol;

namespace Tether.Hostile.Monitoring;

/// <summary>Counts one kind's peers as they finish; safe to record from many peers at once.</summary>
internal sealed class KindTally(PeerKind kind, int peers)
{
    private const int MaxSamples = 5;

    private readonly ConcurrentDictionary<CloseCode, int> _expected = new();
    private readonly ConcurrentDictionary<CloseCode, int> _other = new();
    private readonly ConcurrentQueue<string> _samples = new();
    private readonly Lock _gate = new();
    private int _launched;
    private int _finished;
    private int _noClose;
    private int _stillOpen;
    private int _connectFailed;
    private long _attempts;
    private long _attemptsFailed;
    private TimeSpan? _firstClose;
    private TimeSpan? _lastClose;

    public PeerKind Kind { get; } = kind;

    public int Peers { get; } = peers;

    public int Launched => Volatile.Read(ref _launched);

    public int Finished => Volatile.Read(ref _finished);

    public long Attempts => Interlocked.Read(ref _attempts);

    public void Launch() => Interlocked.Increment(ref _launched);

    public void Record(int index, PeerResult result)
    {
        var observation = result.Observation;
        switch (observation.End)
        {
            case PeerEnd.Close when observation.Code is { } code:
                (result.IsExpected ? _expected : _other).AddOrUpdate(code, 1, (_, n) => n + 1);
                RecordCloseTime(observation.After);
                break;
            case PeerEnd.NoClose:
                Interlocked.Increment(ref _noClose);
                break;
            case PeerEnd.StillOpen:
                Interlocked.Increment(ref _stillOpen);
                break;
            case PeerEnd.ConnectFailed:
                Interlocked.Increment(ref _connectFailed);
                break;
        }

        Interlocked.Add(ref _attempts, result.Observation.End == PeerEnd.ClosedByPeer ? result.Attempts : 0);
        Interlocked.Add(ref _attemptsFailed, result.ConnectFailures);
        if ((!result.IsExpected || observation.Detail is not null) && _samples.Count < MaxSamples)
        {
            _samples.Enqueue(Describe(index, result));
        }

        Interlocked.Increment(ref _finished);
    }

    public KindRow Snapshot() => new(
        Kind.Name,
        Kind.Expects,
        !Kind.ClosesItself,
        Peers,
        Finished,
        new SortedDictionary<CloseCode, int>(_expected),
        new SortedDictionary<CloseCode, int>(_other),
        Volatile.Read(ref _noClose),
        Volatile.Read(ref _stillOpen),
        Volatile.Read(ref _connectFailed),
        Attempts,
        Interlocked.Read(ref _attemptsFailed),
        _firstClose,
        _lastClose,
        [.. _samples]);

    private static string Describe(int index, PeerResult result)
    {
        var o = result.Observation;
        var code = o.Code is { } c ? ((int)c).ToString(CultureInfo.InvariantCulture) : "-";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"peer {index}: {o.End} code {code} after {o.After.TotalMilliseconds:0} ms, expected {CloseCodes.Describe(result.Expected)}{(o.Detail is null ? string.Empty : $" ({o.Detail})")}");
    }

    private void RecordCloseTime(TimeSpan after)
    {
        lock (_gate)
        {
            _firstClose = _firstClose is { } first && first <= after ? first : after;
            _lastClose = _lastClose is { } last && last >= after ? last : after;
        }
    }
}
