using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using Tether.LoadGen.Net;

namespace Tether.LoadGen;

/// <summary>
/// <c>echo</c>: C connections each keep W messages of S bytes in flight against an echo server for --warmup plus
/// --duration; latency is measured per message (send to echo) for messages completed after the warm-up. tether and
/// tether-nosession send DATA frames; raw sends S bytes and counts every S echoed bytes as the oldest message done.
/// </summary>
internal sealed class EchoMode : ITetherReceiver, IRawReceiver
{
    private readonly byte[] _payload;
    private readonly int _size;
    private readonly int _inFlight;
    private readonly ThreadLatency _latency = new();
    private long _measureStart = long.MaxValue;
    private long _measureEnd = long.MaxValue;
    private long _unexpected;
    private volatile bool _sending = true;

    private EchoMode(int size, int inFlight)
    {
        _size = size;
        _inFlight = inFlight;
        _payload = new byte[size];
        _payload.AsSpan().Fill((byte)'x');
    }

    public static async Task<int> RunAsync(LoadGenOptions options, StopSignal stop)
    {
        FileLimit.Check(options.Connections);
        var echo = new EchoMode(options.Size, options.InFlight);
        var stats = new RunStats();
        using var wheel = new HeartbeatWheel(options.Heartbeat);
        var context = new LeanContext(options.Target, options.Source, stats, wheel);
        var profile = new TetherProfile(options.Sessions, options.Heartbeat);
        var frame = options.Size + 22;
        var window = (int)Math.Min((long)frame * options.InFlight, 1 << 20);
        var receiveBuffer = Math.Clamp(window, 4096, 64 * 1024);
        var sendBuffer = Math.Clamp(window, 256, 64 * 1024);
        Func<int, LeanConnection> create = options.Protocol == WireProtocol.Raw
            ? _ => new RawLeanConnection(context, echo, options.Heartbeat, receiveBuffer, sendBuffer)
            : _ => new TetherLeanConnection(context, profile, echo, receiveBuffer, sendBuffer);

        var connections = await LeanPool.OpenAsync(options.Connections, options.ConnectConcurrency, context, create, "echo", stop.Token).ConfigureAwait(false);
        foreach (var connection in connections)
        {
            if (connection is TetherLeanConnection tether && options.Size > tether.PeerMaxBody - 16)
            {
                LeanPool.CloseAll(connections);
                throw new UsageException($"--size {options.Size} exceeds the server's maximum frame body ({tether.PeerMaxBody} bytes, 16 of them for SEQ and ACK)");
            }

            connection.State = new Ring(options.InFlight);
        }

        Output.Status(string.Create(CultureInfo.InvariantCulture,
            $"echo: {stats.Connected} connected, {stats.Failed} failed; warm-up {options.Warmup.TotalSeconds:0.###} s, measuring {options.Duration.TotalSeconds:0.###} s"));

        var start = Stopwatch.GetTimestamp();
        var measureStart = start + (long)(options.Warmup.TotalSeconds * Stopwatch.Frequency);
        var deadline = measureStart + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        Volatile.Write(ref echo._measureStart, measureStart);
        Volatile.Write(ref echo._measureEnd, deadline);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var collectionsBefore = GC.CollectionCount(0);
        if (connections.Count > 0 && !stop.Token.IsCancellationRequested)
        {
            foreach (var connection in connections)
            {
                echo.Start(connection, start);
            }

            long lastMessages = 0;
            var lastTick = Stopwatch.GetTimestamp();
            await LeanPool.HoldAsync(deadline, () =>
            {
                var now = Stopwatch.GetTimestamp();
                var messages = echo._latency.PeekMessages();
                var rate = (messages - lastMessages) / Stopwatch.GetElapsedTime(lastTick, now).TotalSeconds;
                (lastMessages, lastTick) = (messages, now);
                Output.Progress(now < measureStart
                    ? "echo: warming up"
                    : string.Create(CultureInfo.InvariantCulture, $"echo: {rate:0} msg/s, {stats.Disconnected} disconnected"));
            }, stop.Token).ConfigureAwait(false);
        }

        // Stop measuring and sending, give the last batches in progress a moment, then add up.
        var end = Math.Min(Stopwatch.GetTimestamp(), deadline);
        Volatile.Write(ref echo._measureEnd, end);
        echo._sending = false;
        await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var collections = GC.CollectionCount(0) - collectionsBefore;
        var total = echo._latency.Merge();
        Output.Status(string.Create(CultureInfo.InvariantCulture,
            $"echo: {total.Messages} messages measured; {allocated} bytes allocated and {collections} gen0 collections while running"));
        var measuredSeconds = Math.Max(0, end - measureStart) / (double)Stopwatch.Frequency;
        var disconnected = stats.Disconnected;
        var reasons = stats.DisconnectReasons.ToArray();
        LeanPool.CloseAll(connections);

        Output.Event("result", json =>
        {
            json.WriteString("mode", "echo");
            json.WriteString("protocol", options.ProtocolName);
            json.WriteNumber("connections", options.Connections);
            json.WriteNumber("inFlight", options.InFlight);
            json.WriteNumber("size", options.Size);
            json.WriteNumber("connected", stats.Connected);
            json.WriteNumber("failed", stats.Failed);
            json.WriteNumber("disconnected", disconnected);
            json.WriteCounts("disconnectReasons", reasons);
            json.WriteNumber("messages", total.Messages);
            json.WriteNumber("messagesPerSecond", measuredSeconds > 0 ? Math.Round(total.Messages / measuredSeconds, 1) : 0);
            json.WritePercentiles(total.Histogram);
            json.WriteNumber("errors", stats.Failed + disconnected + stats.Errors + Interlocked.Read(ref echo._unexpected));
            json.WriteNumber("measuredMs", Output.Round(measuredSeconds * 1000));
            json.WriteBoolean("stoppedEarly", stop.Reason is not null);
        });
        return ExitCode.ForConnections(options, stats.Connected);
    }

    void ITetherReceiver.OnData(TetherLeanConnection connection, in ReadOnlySequence<byte> payload, long now)
    {
        lock (connection.WriteLock)
        {
            if (!Complete((Ring)connection.State!, now))
            {
                return;
            }

            if (_sending)
            {
                ((Ring)connection.State!).Push(now);
                connection.WriteDataLocked(_payload);
            }
        }
    }

    void IRawReceiver.OnBytes(RawLeanConnection connection, int count, long now)
    {
        var ring = (Ring)connection.State!;
        lock (connection.WriteLock)
        {
            ring.RawPending += count;
            while (ring.RawPending >= _size)
            {
                ring.RawPending -= _size;
                if (!Complete(ring, now))
                {
                    return;
                }

                if (_sending)
                {
                    ring.Push(now);
                    connection.WriteLocked(_payload);
                }
            }
        }
    }

    private void Start(LeanConnection connection, long now)
    {
        var ring = (Ring)connection.State!;
        switch (connection)
        {
            case TetherLeanConnection tether:
                lock (tether.WriteLock)
                {
                    for (var i = 0; i < _inFlight; i++)
                    {
                        ring.Push(now);
                        tether.WriteDataLocked(_payload);
                    }
                }

                break;
            case RawLeanConnection raw:
                lock (raw.WriteLock)
                {
                    for (var i = 0; i < _inFlight; i++)
                    {
                        ring.Push(now);
                        raw.WriteLocked(_payload);
                    }
                }

                break;
        }

        connection.Flush();
    }

    /// <summary>The oldest message in flight is back: record it if inside the measurement window.</summary>
    private bool Complete(Ring ring, long now)
    {
        if (!ring.TryPop(out var sentAt))
        {
            Interlocked.Increment(ref _unexpected);
            return false;
        }

        if (now >= Volatile.Read(ref _measureStart) && now < Volatile.Read(ref _measureEnd))
        {
            var slot = _latency.Current;
            slot.Histogram.Record(now - sentAt);
            slot.Messages++;
        }

        return true;
    }

    /// <summary>Send timestamps of the messages in flight on one connection, oldest first (the echo keeps order).</summary>
    private sealed class Ring(int capacity)
    {
        private readonly long[] _times = new long[capacity];
        private int _head;
        private int _count;

        /// <summary>Raw protocol: echoed bytes not yet making up a whole message.</summary>
        public long RawPending { get; set; }

        public void Push(long timestamp)
        {
            if (_count == _times.Length)
            {
                return;
            }

            _times[(_head + _count) % _times.Length] = timestamp;
            _count++;
        }

        public bool TryPop(out long timestamp)
        {
            if (_count == 0)
            {
                timestamp = 0;
                return false;
            }

            timestamp = _times[_head];
            _head = (_head + 1) % _times.Length;
            _count--;
            return true;
        }
    }
}
