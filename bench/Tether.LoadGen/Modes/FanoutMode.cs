using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Tether.LoadGen.Net;

namespace Tether.LoadGen;

/// <summary>
/// <c>fanout</c>: N lean Tether connections receive broadcasts from a server running <c>--app broadcast</c>. With
/// --send K, one extra connection sends K messages --interval apart, each carrying its id (u64) and
/// <see cref="Stopwatch.GetTimestamp"/> (i64, big-endian), padded to --size. Receivers record, per message id, how many
/// arrived and the largest arrival − stamp, and the delivery latency over all messages. Receivers without --send run
/// for --duration (or until SIGTERM / stdin closes); with --send the run ends once this process's receivers have every
/// message, or --duration (at least 5 s) after the last send.
/// </summary>
internal sealed class FanoutMode : ITetherReceiver
{
    /// <summary>Message ids recorded per process (larger ids are counted as out of range).</summary>
    public const int MaxMessageIds = 65536;

    /// <summary>Bytes of id and timestamp at the start of each message.</summary>
    public const int StampLength = 16;

    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(5);

    private readonly long[] _counts = new long[MaxMessageIds];
    private readonly long[] _maxTicks = new long[MaxMessageIds];
    private readonly ThreadLatency _latency = new();
    private long _received;
    private long _outOfRange;
    private long _highestId = -1;

    public static async Task<int> RunAsync(LoadGenOptions options, StopSignal stop)
    {
        FileLimit.Check(options.Connections + (options.Send > 0 ? 1 : 0));
        var fanout = new FanoutMode();
        var stats = new RunStats();
        using var wheel = new HeartbeatWheel(options.Heartbeat);
        var context = new LeanContext(options.Target, options.Source, stats, wheel);
        var profile = new TetherProfile(options.Sessions, options.Heartbeat);
        var receiveBuffer = Math.Clamp(options.Size + 64, 512, 64 * 1024);

        var connections = await LeanPool.OpenAsync(
            options.Connections, options.ConnectConcurrency, context, _ => new TetherLeanConnection(context, profile, fanout, receiveBuffer, 64), "fanout", stop.Token).ConfigureAwait(false);
        var connected = stats.Connected;
        var failed = stats.Failed;

        TetherLeanConnection? sender = null;
        if (options.Send > 0 && !stop.Token.IsCancellationRequested)
        {
            // The sender gets its own broadcasts too; it ignores them (no receiver) but acknowledges them.
            sender = new TetherLeanConnection(context, profile, null, receiveBuffer, Math.Max(256, options.Size + 32));
            if (await sender.OpenAsync(stop.Token).ConfigureAwait(false) is { } failure)
            {
                LeanPool.CloseAll(connections);
                throw new InvalidOperationException($"the sending connection could not be opened: {failure}");
            }

            sender.StartReceiving();
            wheel.Add(sender);
        }

        Output.Ready(connected, failed);
        Output.Status(string.Create(CultureInfo.InvariantCulture, $"fanout: {connected} receivers connected, {failed} failed"));

        var sent = 0;
        var holdStart = Stopwatch.GetTimestamp();
        if (sender is not null)
        {
            sent = await fanout.SendAsync(sender, options, stop.Token).ConfigureAwait(false);
            var expected = (long)sent * connections.Count;
            // Wait for our own copies of every message, bounded by --duration, not a fixed few seconds: closing while
            // the server is still behind would reset the connection, and the server would drop sends it had not read.
            var drainEnd = Stopwatch.GetTimestamp() + (long)(Math.Max(Drain.TotalSeconds, options.Duration.TotalSeconds) * Stopwatch.Frequency);
            while (Interlocked.Read(ref fanout._received) < expected && Stopwatch.GetTimestamp() < drainEnd && !stop.Token.IsCancellationRequested)
            {
                await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
            }
        }
        else
        {
            var hold = connected > 0 ? options.Duration : TimeSpan.Zero;
            var deadline = holdStart + (long)(hold.TotalSeconds * Stopwatch.Frequency);
            await LeanPool.HoldAsync(deadline, () => Output.Progress(string.Create(CultureInfo.InvariantCulture,
                $"fanout: {Interlocked.Read(ref fanout._received)} received, {stats.Disconnected} disconnected")), stop.Token).ConfigureAwait(false);
        }

        var total = fanout._latency.Merge();
        var disconnected = stats.Disconnected;
        var reasons = stats.DisconnectReasons.ToArray();
        var ids = (int)Math.Min(Math.Max(Interlocked.Read(ref fanout._highestId) + 1, sent), MaxMessageIds);
        LeanPool.CloseAll(connections);
        sender?.Close();

        Output.Event("result", json =>
        {
            json.WriteString("mode", "fanout");
            json.WriteString("protocol", options.ProtocolName);
            json.WriteNumber("frequency", Stopwatch.Frequency);
            json.WriteNumber("connections", options.Connections);
            json.WriteNumber("connected", connected);
            json.WriteNumber("failed", failed);
            json.WriteNumber("disconnected", disconnected);
            json.WriteCounts("disconnectReasons", reasons);
            json.WriteNumber("sent", sent);
            json.WriteNumber("received", Interlocked.Read(ref fanout._received));
            json.WriteNumber("outOfRange", Interlocked.Read(ref fanout._outOfRange));
            json.WriteStartArray("counts");
            for (var id = 0; id < ids; id++)
            {
                json.WriteNumberValue(Interlocked.Read(ref fanout._counts[id]));
            }

            json.WriteEndArray();
            json.WriteStartArray("maxLatencyMs");
            for (var id = 0; id < ids; id++)
            {
                json.WriteNumberValue(Output.Round(LatencyHistogram.ToMs(Interlocked.Read(ref fanout._maxTicks[id]))));
            }

            json.WriteEndArray();
            json.WritePercentiles(total.Histogram);
            json.WriteBoolean("stoppedEarly", stop.Reason is not null);
        });
        return options.Connections == 0 ? ExitCode.Success : ExitCode.ForConnections(options, connected);
    }

    void ITetherReceiver.OnData(TetherLeanConnection connection, in ReadOnlySequence<byte> payload, long now)
    {
        if (payload.Length < StampLength)
        {
            return;
        }

        Span<byte> stamp = stackalloc byte[StampLength];
        payload.Slice(0, StampLength).CopyTo(stamp);
        var id = BinaryPrimitives.ReadUInt64BigEndian(stamp);
        var latency = now - BinaryPrimitives.ReadInt64BigEndian(stamp[8..]);
        Interlocked.Increment(ref _received);
        var slot = _latency.Current;
        slot.Histogram.Record(latency);
        slot.Messages++;
        if (id >= MaxMessageIds)
        {
            Interlocked.Increment(ref _outOfRange);
            return;
        }

        var index = (int)id;
        Interlocked.Increment(ref _counts[index]);
        var max = Volatile.Read(ref _maxTicks[index]);
        while (latency > max)
        {
            var seen = Interlocked.CompareExchange(ref _maxTicks[index], latency, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }

        var highest = Volatile.Read(ref _highestId);
        while (index > highest)
        {
            var seen = Interlocked.CompareExchange(ref _highestId, index, highest);
            if (seen == highest)
            {
                break;
            }

            highest = seen;
        }
    }

    /// <summary>Sends --send messages --interval apart; returns how many went out.</summary>
    private async Task<int> SendAsync(TetherLeanConnection sender, LoadGenOptions options, CancellationToken cancellationToken)
    {
        var payload = new byte[options.Size];
        payload.AsSpan(StampLength).Fill((byte)'x');
        using var timer = new PeriodicTimer(options.Interval);
        var sent = 0;
        while (sent < options.Send && sender.IsOpen)
        {
            BinaryPrimitives.WriteUInt64BigEndian(payload, (ulong)sent);
            BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(8), Stopwatch.GetTimestamp());
            sender.SendData(payload);
            sent++;
            Output.Progress(string.Create(CultureInfo.InvariantCulture, $"fanout: sent {sent}/{options.Send}, {Interlocked.Read(ref _received)} received here"));
            if (sent == options.Send)
            {
                break;
            }

            try
            {
                await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return sent;
    }
}
