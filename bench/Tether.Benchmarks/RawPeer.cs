using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Tether.Protocol;

namespace Tether.Benchmarks;

/// <summary>
/// A minimal Tether client on a bare socket, built only from the public protocol codec: it does the handshake, sends
/// pre-encoded bytes and counts the DATA frames that come back, allocating nothing per frame. Measuring the server
/// against it shows the server's own allocations, without those of <see cref="Client.TetherClient"/>.
/// </summary>
internal sealed class RawPeer : IDisposable
{
    private const int MaxBody = ProtocolConstants.DefaultMaxFrameSize;

    private readonly Socket _socket;
    private readonly byte[] _receive = new byte[256 * 1024];
    private int _start;
    private int _end;

    private RawPeer(Socket socket) => _socket = socket;

    /// <summary>Connects and completes the handshake, asking for the slowest heartbeat the server allows.</summary>
    public static async Task<RawPeer> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var peer = new RawPeer(socket);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
            var hello = new ArrayBufferWriter<byte>(256);

            // This peer never answers PING: a long heartbeat keeps the server from timing it out between iterations.
            new HelloFrame { HeartbeatIntervalMs = 300_000, HeartbeatTimeoutMs = 900_000 }.Write(hello);
            await peer.SendAsync(hello.WrittenMemory, cancellationToken);
            await peer.ReadWelcomeAsync(cancellationToken);
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    /// <summary>Writes all of <paramref name="bytes"/> to the socket.</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Reads until <paramref name="count"/> DATA frames have arrived; other frames (PING) are skipped.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReadDataFramesAsync(int count, CancellationToken cancellationToken = default)
    {
        var seen = 0;
        while (true)
        {
            seen += ParseBuffered(count - seen);
            if (seen == count)
            {
                return;
            }

            await ReceiveMoreAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Reads and discards everything until the connection ends (the server closes it, or <see cref="Dispose"/>).
    /// No cancellation token: registering one per receive could allocate, and this loop runs inside measurements.
    /// </summary>
    public async Task DiscardUntilClosedAsync()
    {
        try
        {
            while (await _socket.ReceiveAsync(_receive.AsMemory(), SocketFlags.None) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose() => _socket.Dispose();

    private async Task ReadWelcomeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var buffer = new ReadOnlySequence<byte>(_receive, _start, _end - _start);
            if (TetherFrame.TryRead(ref buffer, ProtocolConstants.HandshakeMaxBodySize, out var frame))
            {
                if (frame.Type != FrameType.Welcome)
                {
                    throw new InvalidOperationException($"expected WELCOME, got {frame.Type}");
                }

                _ = WelcomeFrame.Parse(frame);
                _start += frame.EncodedLength;
                return;
            }

            await ReceiveMoreAsync(cancellationToken);
        }
    }

    private int ParseBuffered(int wanted)
    {
        var buffer = new ReadOnlySequence<byte>(_receive, _start, _end - _start);
        var seen = 0;
        while (seen < wanted && TetherFrame.TryRead(ref buffer, MaxBody, out var frame))
        {
            switch (frame.Type)
            {
                case FrameType.Data:
                    seen++;
                    break;
                case FrameType.Close or FrameType.GoAway:
                    throw new InvalidOperationException($"the server sent {frame.Type} during the benchmark");
            }
        }

        _start = _end - (int)buffer.Length;
        return seen;
    }

    // Pooled: this method suspends once per socket read, and a fresh state-machine box each time would be counted
    // against the server in the echo benchmark.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReceiveMoreAsync(CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _receive.Length)
        {
            _receive.AsSpan(_start, _end - _start).CopyTo(_receive);
            _end -= _start;
            _start = 0;
        }

        var read = await _socket.ReceiveAsync(_receive.AsMemory(_end), SocketFlags.None, cancellationToken);
        if (read == 0)
        {
            throw new InvalidOperationException("the server closed the connection during the benchmark");
        }

        _end += read;
    }
}
