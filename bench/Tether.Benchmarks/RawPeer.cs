using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Tether.Protocol;

namespace Tether.Benchmarks;

/// <summary>
/// A minimal Tether client on a bare socket, built only from the public protocol codec: it does the handshake, sends
/// pre-encoded bytes and counts the DATA frames that come back, allocating nothing per frame. Measuring the server
/// against it shows the server's own allocations, without those of <see cref="Client.TetherClient"/>. It can also ask for
/// a reliable session; it then checks that the DATA it receives is numbered 1, 2, 3, ... and exposes the last number,
/// which its user acknowledges (the peer itself never sends anything on its own).
/// </summary>
internal sealed class RawPeer : IDisposable
{
    private const int MaxBody = ProtocolConstants.DefaultMaxFrameSize;

    private readonly Socket _socket;
    private readonly byte[] _receive = new byte[256 * 1024];
    private int _start;
    private int _end;
    private long _lastSequence;
    private long _dataFrames;

    private RawPeer(Socket socket, bool session)
    {
        _socket = socket;
        Session = session;
    }

    /// <summary>True when the server granted the session this peer asked for.</summary>
    public bool Session { get; }

    /// <summary>In a session: the sequence number of the last DATA received (all before it arrived, in order).</summary>
    public ulong LastSequence => (ulong)Volatile.Read(ref _lastSequence);

    /// <summary>DATA frames received since the connection started (for a watchdog: it only moves forward).</summary>
    public long DataFramesReceived => Volatile.Read(ref _dataFrames);

    /// <summary>
    /// Connects and completes the handshake, asking for the slowest heartbeat the server allows and, with
    /// <paramref name="requestSession"/>, for a reliable session (it throws if the server does not grant it).
    /// </summary>
    public static async Task<RawPeer> ConnectAsync(IPEndPoint endPoint, bool requestSession = false, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var peer = new RawPeer(socket, requestSession);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
            var hello = new ArrayBufferWriter<byte>(256);

            // This peer never answers PING: a long heartbeat keeps the server from timing it out between iterations.
            new HelloFrame { HeartbeatIntervalMs = 300_000, HeartbeatTimeoutMs = 900_000, RequestSession = requestSession }.Write(hello);
            await peer.SendAsync(hello.WrittenMemory, cancellationToken);
            var welcome = await peer.ReadWelcomeAsync(cancellationToken);
            if (welcome.SessionActive != requestSession)
            {
                throw new InvalidOperationException($"asked for {(requestSession ? "a session" : "no session")}, the server answered with SESSION {(welcome.SessionActive ? "set" : "clear")}");
            }

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

    private async Task<WelcomeFrame> ReadWelcomeAsync(CancellationToken cancellationToken)
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

                var welcome = WelcomeFrame.Parse(frame);
                _start += frame.EncodedLength;
                return welcome;
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
                    if (Session)
                    {
                        CheckSequence(DataFrame.Parse(frame));
                    }

                    break;
                case FrameType.Close or FrameType.GoAway:
                    throw new InvalidOperationException($"the server sent {frame.Type} during the benchmark");
            }
        }

        _start = _end - (int)buffer.Length;
        Volatile.Write(ref _dataFrames, _dataFrames + seen);
        return seen;
    }

    private void CheckSequence(in DataFrame data)
    {
        var expected = (ulong)_lastSequence + 1;
        if (!data.HasSequence || data.Sequence != expected)
        {
            throw new InvalidOperationException($"expected DATA seq {expected}, got {(data.HasSequence ? data.Sequence.ToString(CultureInfo.InvariantCulture) : "none")}");
        }

        Volatile.Write(ref _lastSequence, (long)expected);
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
