using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Tether.Client;

namespace Tether.Cli.Tests;

/// <summary><c>tether serve</c> with plain listeners, as a real process, talked to with plain sockets.</summary>
public sealed class ServeFramingEndToEndTests : IDisposable
{
    private static readonly TimeSpan Timeout = CliProcess.Timeout;

    private readonly string _portFile = Path.Combine(Path.GetTempPath(), $"tether-cli-test-{Guid.NewGuid():N}.port");

    public void Dispose() => File.Delete(_portFile);

    [Fact]
    public async Task The_broadcast_app_sends_every_message_to_every_connection_in_its_own_framing()
    {
        await using var server = CliProcess.Start(
            "serve", "--port-file", _portFile, "--app", "broadcast",
            "--listen", "127.0.0.1:0",
            "--listen", "lines@127.0.0.1:0");
        await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on", StringComparison.Ordinal));
        var ports = File.ReadAllLines(_portFile).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        using var timeout = new CancellationTokenSource(Timeout);
        var tetherOptions = new TetherClientOptions();
        tetherOptions.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, ports[0]));
        await using var tether = new TetherClient(tetherOptions);
        await tether.ConnectAsync(timeout.Token);
        using var first = await ConnectAsync(ports[1], timeout.Token);
        using var second = await ConnectAsync(ports[1], timeout.Token);
        await using var messages = tether.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);

        // Each lines peer is in the server's registry once it hears its own broadcast back; before that, a broadcast
        // may miss it. Every later line is then heard by all three, in order.
        await SendAsync(first, "ready-1\n", timeout.Token);
        Assert.Equal("ready-1\n", await ReadLineAsync(first, timeout.Token));
        await SendAsync(second, "ready-2\n", timeout.Token);
        Assert.Equal("ready-2\n", await ReadLineSkippingAsync(second, "ready-1\n", timeout.Token));

        await SendAsync(first, "to everyone\n", timeout.Token);
        Assert.Equal("to everyone\n", await ReadLineSkippingAsync(first, "ready-2\n", timeout.Token));
        Assert.Equal("to everyone\n", await ReadLineAsync(second, timeout.Token));
        Assert.True(await messages.MoveNextAsync());
        Assert.Equal("ready-1", Encoding.UTF8.GetString(messages.Current.Span));
        Assert.True(await messages.MoveNextAsync());
        Assert.Equal("ready-2", Encoding.UTF8.GetString(messages.Current.Span));
        Assert.True(await messages.MoveNextAsync());
        Assert.Equal("to everyone", Encoding.UTF8.GetString(messages.Current.Span));
        await tether.SendAsync("from the protocol"u8.ToArray(), timeout.Token);
        Assert.Equal("from the protocol\n", await ReadLineAsync(first, timeout.Token));
        Assert.Equal("from the protocol\n", await ReadLineAsync(second, timeout.Token));

        server.Signal(CliProcess.SigTerm);
        Assert.Equal(0, await server.WaitForExitAsync());
    }

    [Fact]
    public async Task Every_framing_echoes_on_its_own_listener()
    {
        await using var server = CliProcess.Start(
            "serve", "--port-file", _portFile,
            "--listen", "127.0.0.1:0",
            "--listen", "lines@127.0.0.1:0,ping",
            "--listen", "length-prefixed@127.0.0.1:0,header=u16",
            "--listen", "raw@127.0.0.1:0");
        var listening = await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on", StringComparison.Ordinal));
        var match = Regex.Match(
            listening,
            @"^tether: listening on 127\.0\.0\.1:(\d+) \(tether\), 127\.0\.0\.1:(\d+) \(lines\), 127\.0\.0\.1:(\d+) \(length-prefixed\), 127\.0\.0\.1:(\d+) \(raw\) as ");
        Assert.True(match.Success, listening);
        var ports = File.ReadAllLines(_portFile).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(match.Groups.Values.Skip(1).Select(g => int.Parse(g.Value, CultureInfo.InvariantCulture)), ports);
        Assert.Equal(4, ports.Distinct().Count());
        using var timeout = new CancellationTokenSource(Timeout);

        var tetherOptions = new TetherClientOptions();
        tetherOptions.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, ports[0]));
        await using (var tether = new TetherClient(tetherOptions))
        {
            await tether.ConnectAsync(timeout.Token);
            await tether.SendAsync("over the protocol"u8.ToArray(), timeout.Token);
            await using var messages = tether.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
            Assert.True(await messages.MoveNextAsync());
            Assert.Equal("over the protocol", Encoding.UTF8.GetString(messages.Current.Span));
        }

        using (var lines = await ConnectAsync(ports[1], timeout.Token))
        {
            await SendAsync(lines, "hello\r\n", timeout.Token);
            Assert.Equal("hello\n", await ReadLineAsync(lines, timeout.Token));
            await SendAsync(lines, "PING\n", timeout.Token);
            Assert.Equal("PONG\n", await ReadLineAsync(lines, timeout.Token));
            await SendAsync(lines, "PONG\nafter the pong\n", timeout.Token);
            Assert.Equal("after the pong\n", await ReadLineAsync(lines, timeout.Token));
        }

        using (var lengthPrefixed = await ConnectAsync(ports[2], timeout.Token))
        {
            var payload = Encoding.UTF8.GetBytes("length-prefixed hello");
            var frame = new byte[2 + payload.Length];
            BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)payload.Length);
            payload.CopyTo(frame, 2);
            await lengthPrefixed.SendAsync(frame, timeout.Token);
            Assert.Equal(frame, await ReadExactlyAsync(lengthPrefixed, frame.Length, timeout.Token));
        }

        using (var raw = await ConnectAsync(ports[3], timeout.Token))
        {
            await SendAsync(raw, "raw bytes, no framing", timeout.Token);
            // One write may come back in several reads: raw has no message boundaries.
            Assert.Equal("raw bytes, no framing", Encoding.UTF8.GetString(await ReadExactlyAsync(raw, 21, timeout.Token)));
        }

        server.Signal(CliProcess.SigTerm);
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.False(File.Exists(_portFile), "the port file is removed when the server stops");
    }

    [Fact]
    public async Task An_oversize_line_is_answered_with_a_close_line_and_the_connection_ends()
    {
        var (server, ports) = await StartAsync("lines@127.0.0.1:0");
        await using var _ = server;
        using var timeout = new CancellationTokenSource(Timeout);
        using var socket = await ConnectAsync(ports[0], timeout.Token);

        // One byte over the default 8192: the server consumes all of it, so it closes without unread input (no RST).
        await SendAsync(socket, new string('x', 8193) + "\n", timeout.Token);

        var rest = Encoding.UTF8.GetString(await ReadToEndAsync(socket, timeout.Token));
        Assert.StartsWith("CLOSE FRAME_TOO_LARGE ", rest, StringComparison.Ordinal);
        Assert.EndsWith("\n", rest, StringComparison.Ordinal);
        Assert.Single(rest.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Max_length_sets_the_longest_line()
    {
        var (server, ports) = await StartAsync("lines@127.0.0.1:0,max-length=16");
        await using var _ = server;
        using var timeout = new CancellationTokenSource(Timeout);
        using var socket = await ConnectAsync(ports[0], timeout.Token);

        await SendAsync(socket, "sixteen bytes ok\n", timeout.Token);
        Assert.Equal("sixteen bytes ok\n", await ReadLineAsync(socket, timeout.Token));
        await SendAsync(socket, "seventeen bytes!!\n", timeout.Token);
        Assert.Equal("CLOSE FRAME_TOO_LARGE line longer than 16 bytes\n", Encoding.UTF8.GetString(await ReadToEndAsync(socket, timeout.Token)));
    }

    [Fact]
    public async Task A_silent_peer_is_dropped_after_the_idle_timeout()
    {
        var (server, ports) = await StartAsync("lines@127.0.0.1:0,idle-timeout=1s");
        await using var _ = server;
        using var timeout = new CancellationTokenSource(Timeout);
        var started = TimeProvider.System.GetTimestamp();
        using var socket = await ConnectAsync(ports[0], timeout.Token);

        var rest = Encoding.UTF8.GetString(await ReadToEndAsync(socket, timeout.Token));

        var elapsed = TimeProvider.System.GetElapsedTime(started);
        Assert.True(elapsed >= TimeSpan.FromMilliseconds(900), $"dropped after {elapsed.TotalMilliseconds} ms");
        Assert.True(rest.Length == 0 || rest.StartsWith("CLOSE ", StringComparison.Ordinal), rest);
    }

    [Fact]
    public async Task A_probe_goes_out_after_the_probe_interval_of_silence()
    {
        var (server, ports) = await StartAsync("lines@127.0.0.1:0,probe=PING,probe-interval=300ms,idle-timeout=5s");
        await using var _ = server;
        using var timeout = new CancellationTokenSource(Timeout);
        using var socket = await ConnectAsync(ports[0], timeout.Token);

        Assert.Equal("PING\n", await ReadLineAsync(socket, timeout.Token));
    }

    [Fact]
    public async Task A_raw_probe_is_sent_as_escaped()
    {
        var (server, ports) = await StartAsync(@"raw@127.0.0.1:0,probe=are you there?\r\n,probe-interval=200ms,idle-timeout=10s");
        await using var _ = server;
        using var timeout = new CancellationTokenSource(Timeout);
        using var socket = await ConnectAsync(ports[0], timeout.Token);

        Assert.Equal("are you there?\r\n", Encoding.UTF8.GetString(await ReadExactlyAsync(socket, 16, timeout.Token)));
    }

    [Fact]
    public async Task A_line_that_cannot_be_echoed_is_skipped_and_the_connection_goes_on()
    {
        var (server, ports) = await StartAsync("lines@127.0.0.1:0");
        await using var _ = server;
        using var timeout = new CancellationTokenSource(Timeout);
        using var socket = await ConnectAsync(ports[0], timeout.Token);

        // "a\r\r\n" is the line "a\r", which a line cannot end with when written back.
        await SendAsync(socket, "a\r\r\nb\n", timeout.Token);

        Assert.Equal("b\n", await ReadLineAsync(socket, timeout.Token));
        await server.WaitForStdoutAsync(line => line.Contains("Cannot echo 2 bytes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_listen_value_fails_with_one_line()
    {
        await using var cli = CliProcess.Start("serve", "--listen", "127.0.0.1:0", "--listen", "bogus@1.2.3.4:5");

        Assert.Equal(ExitCodes.Usage, await cli.WaitForExitAsync());
        var line = Assert.Single(cli.StderrLines);
        Assert.Equal("tether: --listen: unknown framing 'bogus' (use tether, lines, length-prefixed or raw) (see 'tether serve --help')", line);
        Assert.Empty(cli.StdoutLines);
    }

    [Fact]
    public async Task A_probe_after_the_idle_timeout_fails_with_one_line()
    {
        await using var cli = CliProcess.Start("serve", "--listen", "lines@127.0.0.1:0,probe,probe-interval=5s,idle-timeout=1s");

        Assert.Equal(ExitCodes.Usage, await cli.WaitForExitAsync());
        var line = Assert.Single(cli.StderrLines);
        Assert.Equal("tether: listener lines@127.0.0.1:0: ProbeInterval (5 s) must be shorter than IdleTimeout (1 s), or peers are dropped before they are probed", line);
    }

    /// <summary>Starts <c>tether serve</c> on <paramref name="listen"/> and returns it with its bound ports, in order.</summary>
    private async Task<(CliProcess Server, int[] Ports)> StartAsync(params string[] listen)
    {
        var server = CliProcess.Start(["serve", "--port-file", _portFile, .. listen.SelectMany(l => new[] { "--listen", l })]);
        try
        {
            // The port file is complete before the listening line is printed.
            await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on", StringComparison.Ordinal));
            return (server, [.. File.ReadAllLines(_portFile).Select(p => int.Parse(p, CultureInfo.InvariantCulture))]);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private static async Task<Socket> ConnectAsync(int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task SendAsync(Socket socket, string text, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None, cancellationToken);
        }
    }

    /// <summary>The next line, after one <paramref name="skipped"/> line if that comes first.</summary>
    private static async Task<string> ReadLineSkippingAsync(Socket socket, string skipped, CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(socket, cancellationToken);
        return line == skipped ? await ReadLineAsync(socket, cancellationToken) : line;
    }

    /// <summary>Reads up to and including the next '\n', one byte at a time so nothing after it is consumed.</summary>
    private static async Task<string> ReadLineAsync(Socket socket, CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (line.Count == 0 || line[^1] != (byte)'\n')
        {
            if (await socket.ReceiveAsync(one, SocketFlags.None, cancellationToken) == 0)
            {
                Assert.Fail($"the connection ended after '{Encoding.UTF8.GetString([.. line])}' without a line ending");
            }

            line.Add(one[0]);
        }

        return Encoding.UTF8.GetString([.. line]);
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            Assert.True(n > 0, $"the connection ended after {read} of {count} bytes");
            read += n;
        }

        return buffer;
    }

    /// <summary>Everything the server sends until it closes the connection (the test's timeout bounds the wait).</summary>
    private static async Task<byte[]> ReadToEndAsync(Socket socket, CancellationToken cancellationToken)
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
        {
            received.Write(buffer, 0, n);
        }

        return received.ToArray();
    }
}
