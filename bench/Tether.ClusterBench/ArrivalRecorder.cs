using System.Diagnostics;

namespace Tether.ClusterBench;

/// <summary>
/// What the clients of one load process received, shared by all of them (their handlers run concurrently): each push
/// id seen (an <see cref="IdSet"/>, so a second copy is a duplicate), per client the last stream number (the same one again is a
/// repeat, a lower one a reorder, a jump a gap), and each arrival's latency in microseconds (arrival − the pusher's stamp) for the
/// orchestrating script to merge across processes into exact percentiles.
/// </summary>
internal sealed class ArrivalRecorder
{
    private const int MaxSamples = 4 * 1024 * 1024;

    private readonly IdSet _seen = new();
    private readonly long[] _lastSequence;
    private readonly Lock _samplesLock = new();
    private readonly List<int> _pushMicros = [];
    private readonly List<int> _broadcastMicros = [];
    private long _pushes;
    private long _duplicates;
    private long _outOfRange;
    private long _reordered;
    private long _repeated;
    private long _gaps;
    private long _broadcasts;
    private long _malformed;

    public ArrivalRecorder(int clients) => _lastSequence = new long[clients];

    /// <summary>Called once with the number of broadcasts received after a new one arrived.</summary>
    public Action<long>? BroadcastReceived { get; init; }

    public void Record(int client, in Probe probe)
    {
        var micros = (int)Math.Min(int.MaxValue, (Stopwatch.GetTimestamp() - probe.Stamp) * 1_000_000 / Stopwatch.Frequency);
        if (probe.Kind == ProbeKind.Broadcast)
        {
            lock (_samplesLock)
            {
                _broadcastMicros.Add(micros);
            }

            BroadcastReceived?.Invoke(Interlocked.Increment(ref _broadcasts));
            return;
        }

        Interlocked.Increment(ref _pushes);
        if (probe.Id is < 0 or >= IdSet.Capacity)
        {
            Interlocked.Increment(ref _outOfRange);
        }
        else if (!_seen.Add(probe.Id))
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }

        if (probe.Sequence > 0)
        {
            // One client's messages are handled one at a time, so its slot needs no interlock.
            var last = _lastSequence[client];
            if (probe.Sequence == last)
            {
                // The same number under another id: the pusher tried again after a send that threw, and the first
                // try had arrived after all.
                Interlocked.Increment(ref _repeated);
            }
            else if (probe.Sequence < last)
            {
                Interlocked.Increment(ref _reordered);
            }
            else
            {
                if (probe.Sequence > last + 1)
                {
                    Interlocked.Add(ref _gaps, probe.Sequence - last - 1);
                }

                _lastSequence[client] = probe.Sequence;
            }
        }

        lock (_samplesLock)
        {
            if (_pushMicros.Count < MaxSamples)
            {
                _pushMicros.Add(micros);
            }
        }
    }

    public void RecordMalformed() => Interlocked.Increment(ref _malformed);

    public long Broadcasts => Interlocked.Read(ref _broadcasts);

    public void Write(System.Text.Json.Utf8JsonWriter json)
    {
        json.WriteNumber("pushReceived", Interlocked.Read(ref _pushes));
        json.WriteNumber("pushDuplicates", Interlocked.Read(ref _duplicates));
        json.WriteNumber("pushOutOfRange", Interlocked.Read(ref _outOfRange));
        json.WriteNumber("streamReordered", Interlocked.Read(ref _reordered));
        json.WriteNumber("streamRepeated", Interlocked.Read(ref _repeated));
        json.WriteNumber("streamGaps", Interlocked.Read(ref _gaps));
        json.WriteNumber("streamLast", _lastSequence.Sum());
        json.WriteNumber("broadcastReceived", Interlocked.Read(ref _broadcasts));
        json.WriteNumber("malformed", Interlocked.Read(ref _malformed));
        _seen.Write(json, "pushIds");
        lock (_samplesLock)
        {
            WriteArray(json, "pushMicros", _pushMicros);
            WriteArray(json, "broadcastMicros", _broadcastMicros);
        }
    }

    private static void WriteArray(System.Text.Json.Utf8JsonWriter json, string name, List<int> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteNumberValue(value);
        }

        json.WriteEndArray();
    }
}
