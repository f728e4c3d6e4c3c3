// TLS load generator: idle TLS connections (Tether HELLO with a session, or raw echo) and bursts of TLS handshakes.
// Usage and output: README.md.
using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Tether.Protocol;

var options = TlsLoadOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(TlsLoadOptions.Usage);
    return 2;
}

using var stop = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

return options.Mode == "idle"
    ? await IdleRun.RunAsync(options, stop.Token)
    : await HandshakeRun.RunAsync(options, stop.Token);

/// <summary>The command line.</summary>
internal sealed record TlsLoadOptions(string Mode, IPEndPoint Target, string Protocol, IPAddress? Source, int Count, int Concurrency, TimeSpan Hold, int HeartbeatSeconds, string TargetHost, bool Plain)
{
    public const string Usage = "usage: Tether.TlsLoad idle|handshakes --target IP:PORT --protocol tether|raw [--source IP] "
        + "[--connections N (idle) | --count N (handshakes)] [--concurrency C] [--hold D (idle, seconds)] [--heartbeat S] [--target-host NAME] [--plain]";

    public static TlsLoadOptions? Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("idle" or "handshakes"))
        {
            return null;
        }

        IPEndPoint? target = null;
        string protocol = "tether";
        IPAddress? source = null;
        var count = 1000;
        var concurrency = args[0] == "idle" ? 64 : 16;
        var hold = TimeSpan.FromSeconds(120);
        var heartbeat = 30;
        var targetHost = "localhost";
        var plain = false;
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--plain")
            {
                plain = true;
                continue;
            }

            var value = i + 1 < args.Length ? args[i + 1] : null;
            if (value is null)
            {
                return null;
            }

            switch (args[i])
            {
                case "--target" when IPEndPoint.TryParse(value, out var endPoint):
                    target = endPoint;
                    break;
                case "--protocol" when value is "tether" or "raw":
                    protocol = value;
                    break;
                case "--source" when IPAddress.TryParse(value, out var address):
                    source = address;
                    break;
                case "--connections" or "--count" when int.TryParse(value, CultureInfo.InvariantCulture, out count) && count > 0:
                    break;
                case "--concurrency" when int.TryParse(value, CultureInfo.InvariantCulture, out concurrency) && concurrency > 0:
                    break;
                case "--hold" when double.TryParse(value, CultureInfo.InvariantCulture, out var seconds) && seconds > 0:
                    hold = TimeSpan.FromSeconds(seconds);
                    break;
                case "--heartbeat" when int.TryParse(value, CultureInfo.InvariantCulture, out heartbeat) && heartbeat > 0:
                    break;
                case "--target-host":
                    targetHost = value;
                    break;
                default:
                    return null;
            }

            i++;
        }

        return target is null ? null : new TlsLoadOptions(args[0], target, protocol, source, count, concurrency, hold, heartbeat, targetHost, plain);
    }
}

/// <summary>One client TLS connection (plain TCP with --plain): TCP connect (bound to the source address), TLS handshake, first application round trip.</summary>
internal sealed class TlsClient : IAsyncDisposable
{
    // Linux IP_BIND_ADDRESS_NO_PORT: bind() fixes the address only; connect() picks a port free for the 4-tuple.
    private const int IpBindAddressNoPort = 24;
    private static readonly byte[] RawProbe = "hb\r\n"u8.ToArray();

    private readonly Socket _socket;
    private readonly Stream _tls;
    private readonly byte[] _buffer = new byte[1024];
    private int _buffered;

    private TlsClient(Socket socket, bool plain)
    {
        _socket = socket;
        if (plain)
        {
            _tls = new NetworkStream(socket, ownsSocket: true);
            return;
        }

        // Both servers present the same self-signed development certificate; the client measures servers, not trust.
#pragma warning disable CA5359
        _tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false, (_, _, _, _) => true);
#pragma warning restore CA5359
    }

    public static async Task<TlsClient> OpenAsync(TlsLoadOptions options, bool allowResume, CancellationToken cancellationToken)
    {
        var socket = new Socket(options.Target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        TlsClient? client = null;
        try
        {
            if (options.Source is not null)
            {
                socket.SetRawSocketOption(0, IpBindAddressNoPort, [1, 0, 0, 0]);
                socket.Bind(new IPEndPoint(options.Source, 0));
            }

            await socket.ConnectAsync(options.Target, cancellationToken);
            client = new TlsClient(socket, options.Plain);
            if (client._tls is SslStream tls)
            {
                await tls.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions { TargetHost = options.TargetHost, AllowTlsResume = allowResume },
                    cancellationToken);
            }

            await client.FirstRoundTripAsync(options, cancellationToken);
            return client;
        }
        catch
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }
    }

    /// <summary>Reads until EOF or failure, answering every PING (Tether) with a PONG; returns the reason it ended.</summary>
    public async Task<string> HoldAsync(bool tether, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var read = await _tls.ReadAsync(_buffer.AsMemory(_buffered), cancellationToken);
                if (read == 0)
                {
                    return "eof";
                }

                _buffered += read;
                if (!tether)
                {
                    _buffered = 0;
                    continue;
                }

                var input = new ReadOnlySequence<byte>(_buffer, 0, _buffered);
                while (TetherFrame.TryRead(ref input, _buffer.Length - ProtocolConstants.HeaderSize, out var frame))
                {
                    if (frame.Type == FrameType.Ping)
                    {
                        var pong = new byte[FrameWriter.UInt64FrameLength];
                        FrameWriter.WriteUInt64Frame(pong, FrameType.Pong, frame.ReadUInt64Body());
                        await _tls.WriteAsync(pong, cancellationToken);
                    }
                    else if (frame.Type == FrameType.Close)
                    {
                        return "close-" + CloseFrame.Parse(frame).Code.ToString();
                    }
                }

                var left = (int)input.Length;
                _buffer.AsSpan(_buffered - left, left).CopyTo(_buffer);
                _buffered = left;
            }
        }
        catch (OperationCanceledException)
        {
            return "stopped";
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return e.InnerException is SocketException socket ? socket.SocketErrorCode.ToString() : e.GetType().Name;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _tls.DisposeAsync();
        _socket.Dispose();
    }

    private async Task FirstRoundTripAsync(TlsLoadOptions options, CancellationToken cancellationToken)
    {
        if (options.Protocol == "raw")
        {
            await _tls.WriteAsync(RawProbe, cancellationToken);
            while (_buffered < RawProbe.Length)
            {
                var read = await _tls.ReadAsync(_buffer.AsMemory(_buffered), cancellationToken);
                _buffered += read > 0 ? read : throw new IOException("eof before the echo");
            }

            _buffered = 0;
            return;
        }

        var hello = new ArrayBufferWriter<byte>(64);
        new HelloFrame { RequestSession = true, HeartbeatIntervalMs = (uint)options.HeartbeatSeconds * 1000, MaxFrameSize = ProtocolConstants.DefaultMaxFrameSize }.Write(hello);
        await _tls.WriteAsync(hello.WrittenMemory, cancellationToken);
        while (true)
        {
            var read = await _tls.ReadAsync(_buffer.AsMemory(_buffered), cancellationToken);
            _buffered += read > 0 ? read : throw new IOException("eof before WELCOME");
            var input = new ReadOnlySequence<byte>(_buffer, 0, _buffered);
            if (!TetherFrame.TryRead(ref input, ProtocolConstants.HandshakeMaxBodySize, out var frame))
            {
                continue;
            }

            if (frame.Type != FrameType.Welcome || !WelcomeFrame.Parse(frame).SessionActive)
            {
                throw new IOException($"the server answered HELLO with {frame.Type}, not WELCOME with a session");
            }

            var left = (int)input.Length;
            _buffer.AsSpan(_buffered - left, left).CopyTo(_buffer);
            _buffered = left;
            return;
        }
    }
}

/// <summary>Opens --connections idle TLS connections, says "ready", holds them for --hold (or until SIGTERM or the end of stdin).</summary>
internal static class IdleRun
{
    public static async Task<int> RunAsync(TlsLoadOptions options, CancellationToken stop)
    {
        using var gate = new SemaphoreSlim(options.Concurrency);
        var clients = new TlsClient?[options.Count];
        var holds = new Task<string>?[options.Count];
        var failures = new Dictionary<string, int>();
        var started = Stopwatch.GetTimestamp();
        using var holdStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var opens = Enumerable.Range(0, options.Count).Select(async i =>
        {
            await gate.WaitAsync(stop);
            try
            {
                var client = await TlsClient.OpenAsync(options, allowResume: true, stop);
                clients[i] = client;
                holds[i] = client.HoldAsync(options.Protocol == "tether", holdStop.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                lock (failures)
                {
                    var reason = e.GetType().Name;
                    failures[reason] = failures.GetValueOrDefault(reason) + 1;
                }
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        try
        {
            await Task.WhenAll(opens);
        }
        catch (OperationCanceledException)
        {
        }

        var connected = clients.Count(c => c is not null);
        var connectMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Console.WriteLine($"{{\"event\":\"ready\",\"connected\":{connected},\"failed\":{options.Count - connected}}}");
        Console.Out.Flush();

        // The hold ends at --hold, on SIGTERM/SIGINT, or when stdin (a pipe) ends.
        var stdinEnded = Console.IsInputRedirected ? Task.Run(() => Console.In.ReadToEnd()) : Task.Delay(Timeout.Infinite, stop);
        await Task.WhenAny(Task.Delay(options.Hold, stop).ContinueWith(_ => { }, TaskScheduler.Default), stdinEnded);
        var dropped = holds.Count(h => h is { IsCompleted: true });
        holdStop.Cancel();
        foreach (var client in clients)
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }
        }

        var reasons = string.Join(",", failures.Select(f => $"\"{f.Key}\":{f.Value}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"event\":\"result\",\"mode\":\"idle\",\"protocol\":\"{options.Protocol}\",\"connections\":{options.Count},\"connected\":{connected},\"failed\":{options.Count - connected},\"failReasons\":{{{reasons}}},\"dropped\":{dropped},\"connectMs\":{connectMs:F0}}}"));
        return connected == 0 ? 1 : 0;
    }
}

/// <summary>Opens --count connections, --concurrency at a time: each a full TLS handshake (no resumption) and one round trip, then closed.</summary>
internal static class HandshakeRun
{
    public static async Task<int> RunAsync(TlsLoadOptions options, CancellationToken stop)
    {
        var next = -1;
        var done = 0;
        var failed = 0;
        var startUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, options.Concurrency).Select(async _ =>
        {
            while (!stop.IsCancellationRequested && Interlocked.Increment(ref next) < options.Count)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                try
                {
                    await using var client = await TlsClient.OpenAsync(options, allowResume: false, timeout.Token);
                    Interlocked.Increment(ref done);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }).ToArray();
        await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var endUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"event\":\"result\",\"mode\":\"handshakes\",\"protocol\":\"{options.Protocol}\",\"count\":{options.Count},\"completed\":{done},\"failed\":{failed},\"seconds\":{elapsed:F3},\"perSecond\":{done / elapsed:F1},\"startUnixMs\":{startUnixMs},\"endUnixMs\":{endUnixMs}}}"));
        return done == 0 ? 1 : 0;
    }
}
