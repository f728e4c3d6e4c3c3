using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Tether.LoadGen.Net;
using Tether.Protocol;

namespace Tether.LoadGen;

/// <summary>
/// <c>churn</c>: C parallel loops of connect, HELLO (WELCOME awaited), one DATA of --size bytes echoed, CLOSE, then
/// waiting for the server to close its side before closing ours (so that TIME_WAIT stays on the server and the
/// ephemeral ports of the source address are not used up), for --duration. raw: connect, --size bytes echoed, FIN.
/// </summary>
internal sealed class ChurnMode
{
    private static readonly TimeSpan CycleTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LingerTimeout = TimeSpan.FromSeconds(2);

    private readonly LoadGenOptions _options;
    private readonly byte[] _hello;
    private readonly byte[] _data;
    private readonly byte[] _goodbye;
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private long _cycles;

    private ChurnMode(LoadGenOptions options)
    {
        _options = options;
        var profile = new TetherProfile(options.Sessions, options.Heartbeat);
        _hello = profile.Hello;
        var payload = new byte[options.Size];
        payload.AsSpan().Fill((byte)'x');
        if (!options.IsTether)
        {
            _data = payload;
            _goodbye = [];
            return;
        }

        // Every cycle is a new connection (and a new session): the one DATA is always seq 1, acknowledged before CLOSE.
        var data = new ArrayBufferWriter<byte>();
        FrameWriter.WriteData(data, payload, options.Sessions ? DataFlags.Sequence : DataFlags.None, 1, 0);
        _data = data.WrittenSpan.ToArray();
        var goodbye = new ArrayBufferWriter<byte>();
        if (options.Sessions)
        {
            FrameWriter.WriteAck(goodbye, 1);
        }

        goodbye.Write(profile.Close);
        _goodbye = goodbye.WrittenSpan.ToArray();
    }

    public static async Task<int> RunAsync(LoadGenOptions options, StopSignal stop)
    {
        FileLimit.Check(options.Connections);
        var churn = new ChurnMode(options);
        var histograms = new LatencyHistogram[options.Connections];
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        using var progress = new CancellationTokenSource();
        var reporter = ReportAsync(churn, started, progress.Token);
        var loops = Enumerable.Range(0, options.Connections)
            .Select(i => Task.Run(() => churn.LoopAsync(histograms[i] = new LatencyHistogram(), deadline, stop.Token)))
            .ToArray();
        await Task.WhenAll(loops).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await progress.CancelAsync().ConfigureAwait(false);
        await reporter.ConfigureAwait(false);

        var total = new LatencyHistogram();
        foreach (var histogram in histograms)
        {
            total.Add(histogram);
        }

        var cycles = Interlocked.Read(ref churn._cycles);
        Output.Event("result", json =>
        {
            json.WriteString("mode", "churn");
            json.WriteString("protocol", options.ProtocolName);
            json.WriteNumber("connections", options.Connections);
            json.WriteNumber("cycles", cycles);
            json.WriteNumber("cyclesPerSecond", seconds > 0 ? Math.Round(cycles / seconds, 1) : 0);
            json.WriteNumber("errors", churn._errors.Values.Sum());
            json.WriteCounts("errorReasons", churn._errors);
            json.WritePercentiles(total, "cycle");
            json.WriteNumber("durationMs", Output.Round(seconds * 1000));
            json.WriteBoolean("stoppedEarly", stop.Reason is not null);
        });
        if (cycles == 0)
        {
            Output.Error($"churn: no cycle against {options.Target} completed");
            return ExitCode.Failed;
        }

        return ExitCode.Success;
    }

    private static async Task ReportAsync(ChurnMode churn, long started, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(1000, cancellationToken).ConfigureAwait(false);
                var rate = Interlocked.Read(ref churn._cycles) / Stopwatch.GetElapsedTime(started).TotalSeconds;
                Output.Progress(string.Create(CultureInfo.InvariantCulture, $"churn: {rate:0} cycles/s, {churn._errors.Values.Sum()} errors"));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task LoopAsync(LatencyHistogram histogram, long deadline, CancellationToken stop)
    {
        var buffer = new byte[Math.Max(4096, _data.Length + 256)];
        while (!stop.IsCancellationRequested && Stopwatch.GetTimestamp() < deadline)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop);
            linked.CancelAfter(CycleTimeout);
            var begin = Stopwatch.GetTimestamp();
            try
            {
                await CycleAsync(buffer, linked.Token).ConfigureAwait(false);
                histogram.Record(Stopwatch.GetTimestamp() - begin);
                Interlocked.Increment(ref _cycles);
                continue;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                Count("timed-out");
            }
            catch (SocketException ex)
            {
                Count(Connector.Describe(ex.SocketErrorCode));
            }
            catch (TetherProtocolException ex)
            {
                Count("protocol-error-" + ex.Code.ToEventName());
            }
            catch (HandshakeException ex)
            {
                Count(ex.Message);
            }

            // A failing server should not turn the loop into a busy spin.
            try
            {
                await Task.Delay(10, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Count(string reason) => _errors.AddOrUpdate(reason, 1, static (_, count) => count + 1);

    private async Task CycleAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        using var socket = Connector.NewSocket(_options.Target, _options.Source);
        await socket.ConnectAsync(_options.Target, cancellationToken).ConfigureAwait(false);
        if (_options.IsTether)
        {
            await SendAsync(socket, _hello, cancellationToken).ConfigureAwait(false);
            await ReadFrameAsync(socket, buffer, FrameType.Welcome, cancellationToken).ConfigureAwait(false);
            await SendAsync(socket, _data, cancellationToken).ConfigureAwait(false);
            await ReadFrameAsync(socket, buffer, FrameType.Data, cancellationToken).ConfigureAwait(false);
            await SendAsync(socket, _goodbye, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await SendAsync(socket, _data, cancellationToken).ConfigureAwait(false);
            var echoed = 0;
            while (echoed < _data.Length)
            {
                var received = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (received == 0)
                {
                    throw new HandshakeException("eof-before-echo", retry: false);
                }

                echoed += received;
            }

            socket.Shutdown(SocketShutdown.Send);
        }

        // The server closes after our CLOSE (or FIN); wait for it so that the server side holds TIME_WAIT.
        using var linger = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        linger.CancelAfter(LingerTimeout);
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, linger.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Count("linger-timeout");
        }
        catch (SocketException)
        {
            // A reset after our goodbye still ends the cycle.
        }
    }

    private static async Task SendAsync(Socket socket, byte[] bytes, CancellationToken cancellationToken)
    {
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads frames until a frame of type <paramref name="wanted"/> arrives (skipping others); a CLOSE or EOF fails the cycle.</summary>
    private static async Task ReadFrameAsync(Socket socket, byte[] buffer, FrameType wanted, CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (received == 0)
            {
                throw new HandshakeException("eof-before-" + wanted.ToString().ToLowerInvariant(), retry: false);
            }

            length += received;
            var input = new ReadOnlySequence<byte>(buffer, 0, length);
            while (TetherFrame.TryRead(ref input, buffer.Length - ProtocolConstants.HeaderSize, out var frame))
            {
                if (frame.Type == wanted)
                {
                    if (wanted == FrameType.Welcome)
                    {
                        WelcomeFrame.Parse(frame);
                    }

                    return;
                }

                if (frame.Type == FrameType.Close)
                {
                    throw new HandshakeException("close-" + CloseFrame.Parse(frame).Code.ToEventName(), retry: false);
                }
            }

            var consumed = length - (int)input.Length;
            Buffer.BlockCopy(buffer, consumed, buffer, 0, length - consumed);
            length -= consumed;
            if (length == buffer.Length)
            {
                throw new TetherProtocolException(CloseCode.FrameTooLarge, "frame larger than the churn buffer");
            }
        }
    }
}
