using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Tether.Protocol;

namespace Tether.Tests.Support;

/// <summary>A hand-driven protocol peer on a plain socket, for tests that need to misbehave or stay silent.</summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _length;

    private RawPeer(Socket socket) => _socket = socket;

    public static async Task<RawPeer> ConnectAsync(EndPoint endPoint)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint).WaitAsync(Timeouts.Event);
        return new RawPeer(socket);
    }

    /// <summary>The server's side: accepts the next connection on <paramref name="listener"/>.</summary>
    public static async Task<RawPeer> AcceptAsync(Socket listener)
    {
        var socket = await listener.AcceptAsync().WaitAsync(Timeouts.Event);
        socket.NoDelay = true;
        return new RawPeer(socket);
    }

    public static async Task<(RawPeer Peer, WelcomeFrame Welcome)> HandshakeAsync(EndPoint endPoint, HelloFrame? hello = null)
    {
        var peer = await ConnectAsync(endPoint);
        await peer.SendAsync(w => (hello ?? new HelloFrame()).Write(w));
        var frame = await peer.ReadFrameAsync();
        Assert.Equal(FrameType.Welcome, frame.Type);
        return (peer, WelcomeFrame.Parse(frame.ToFrame()));
    }

    public Task SendAsync(Action<IBufferWriter<byte>> write)
    {
        var writer = new ArrayBufferWriter<byte>();
        write(writer);
        return SendRawAsync(writer.WrittenMemory);
    }

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes) => await _socket.SendAsync(bytes).AsTask().WaitAsync(Timeouts.Event);

    /// <summary>Reads the next frame, or null at end of stream.</summary>
    public async Task<RawFrame> ReadFrameAsync()
    {
        while (true)
        {
            var sequence = new ReadOnlySequence<byte>(_buffer, 0, _length);
            if (TetherFrame.TryRead(ref sequence, int.MaxValue - 16, out var frame))
            {
                var copy = new RawFrame(frame.Header, frame.Body.ToArray());
                var used = _length - (int)sequence.Length;
                Buffer.BlockCopy(_buffer, used, _buffer, 0, _length - used);
                _length -= used;
                return copy;
            }

            var read = await _socket.ReceiveAsync(_buffer.AsMemory(_length)).AsTask().WaitAsync(Timeouts.Event);
            if (read == 0)
            {
                return RawFrame.EndOfStream;
            }

            _length += read;
        }
    }

    /// <summary>Reads frames until CLOSE (returned) or end of stream (null), skipping PINGs and others.</summary>
    public async Task<CloseFrame?> ReadUntilCloseAsync()
    {
        while (true)
        {
            RawFrame frame;
            try
            {
                frame = await ReadFrameAsync();
            }
            catch (SocketException)
            {
                return null;
            }

            if (frame.IsEndOfStream)
            {
                return null;
            }

            if (frame.Type == FrameType.Close)
            {
                return CloseFrame.Parse(frame.ToFrame());
            }
        }
    }

    /// <summary>The next frame, or end of stream for a FIN or a reset alike.</summary>
    public async Task<RawFrame> ReadFrameOrEndAsync()
    {
        try
        {
            return await ReadFrameAsync();
        }
        catch (SocketException)
        {
            return RawFrame.EndOfStream;
        }
    }

    /// <summary>Sends FIN: the server sees the end of the stream after whatever was sent.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

internal sealed record RawFrame(FrameHeader Header, byte[] Body)
{
    public static readonly RawFrame EndOfStream = new(default, []);

    public bool IsEndOfStream => Header.Type == 0;

    public FrameType Type => Header.Type;

    public TetherFrame ToFrame() => new(Header, new ReadOnlySequence<byte>(Body));
}
