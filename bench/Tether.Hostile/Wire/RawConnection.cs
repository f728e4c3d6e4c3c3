using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tether.Protocol;

namespace Tether.Hostile.Wire;

/// <summary>
/// One hostile peer's TCP connection, driven byte by byte rather than through the client library, which would refuse
/// to send what these peers send. It reads the server's frames only to learn whether and how it was closed.
/// </summary>
internal sealed class RawConnection : IDisposable
{
    /// <summary>How long to wait for the end of the stream after a CLOSE: the server should close at once.</summary>
    private static readonly TimeSpan EndAfterClose = TimeSpan.FromSeconds(2);

    private readonly Socket _socket;
    private readonly long _connectedAt;
    private byte[] _buffer = new byte[4096];
    private int _count;
    private string _howEnded = "end of stream";

    private RawConnection(Socket socket, long connectStarted)
    {
        _socket = socket;
        _connectedAt = connectStarted;
    }

    /// <summary>
    /// Time since the connect began: the server's handshake clock cannot have started before it. (Counting from when
    /// the connect's completion was seen would let a busy client's late continuation make a timely close look early.)
    /// </summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_connectedAt);

    /// <summary>Opens a connection, or says why it could not (refused, timed out) without throwing.</summary>
    public static async Task<(RawConnection? Connection, CloseObservation Failure)> ConnectAsync(IPEndPoint target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await socket.ConnectAsync(target, deadline.Token).ConfigureAwait(false);
            return (new RawConnection(socket, started), default);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            return (null, CloseObservation.ConnectFailed(ex is SocketException se ? se.SocketErrorCode.ToString() : "connect timed out"));
        }
    }

    /// <summary>Sends <paramref name="bytes"/>; false when the connection is already gone (the server may close first).</summary>
    public async ValueTask<bool> TrySendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        try
        {
            while (!bytes.IsEmpty)
            {
                var sent = await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                bytes = bytes[sent..];
            }

            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends a valid HELLO and reads the server's first frame: the WELCOME, or (null) how the connection ended instead.
    /// </summary>
    public async Task<(WelcomeFrame? Welcome, CloseObservation Ended)> HandshakeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!await TrySendAsync(HelloBytes.Anonymous, cancellationToken).ConfigureAwait(false))
        {
            return (null, new CloseObservation(PeerEnd.NoClose, null, Elapsed, "could not send HELLO"));
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            var frame = await ReadFrameAsync(deadline.Token).ConfigureAwait(false);
            if (frame is null)
            {
                return (null, new CloseObservation(PeerEnd.NoClose, null, Elapsed, $"{_howEnded} instead of WELCOME"));
            }

            var parsed = TetherFrame.Parse(new ReadOnlySequence<byte>(frame));
            return parsed.Type switch
            {
                FrameType.Welcome => (WelcomeFrame.Parse(parsed), default),
                FrameType.Close => (null, await ClosedAsync(CloseFrame.Parse(parsed).Code, cancellationToken).ConfigureAwait(false)),
                _ => (null, new CloseObservation(PeerEnd.NoClose, null, Elapsed, $"first frame from the server is {parsed.Type}")),
            };
        }
        catch (OperationCanceledException)
        {
            return (null, new CloseObservation(PeerEnd.StillOpen, null, Elapsed, "no WELCOME in time"));
        }
        catch (TetherProtocolException ex)
        {
            return (null, new CloseObservation(PeerEnd.NoClose, null, Elapsed, $"malformed frame from the server: {ex.Message}"));
        }
    }

    /// <summary>
    /// Reads (and ignores) the server's frames until it closes, or until <paramref name="timeout"/> from now, which makes
    /// the connection "still open".
    /// </summary>
    public async Task<CloseObservation> WaitForCloseAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (await ReadFrameAsync(deadline.Token).ConfigureAwait(false) is { } frame)
            {
                var parsed = TetherFrame.Parse(new ReadOnlySequence<byte>(frame));
                if (parsed.Type == FrameType.Close)
                {
                    return await ClosedAsync(CloseFrame.Parse(parsed).Code, cancellationToken).ConfigureAwait(false);
                }
            }

            return new CloseObservation(PeerEnd.NoClose, null, Elapsed, $"{_howEnded} without CLOSE");
        }
        catch (OperationCanceledException)
        {
            return new CloseObservation(PeerEnd.StillOpen, null, Elapsed);
        }
        catch (TetherProtocolException ex)
        {
            return new CloseObservation(PeerEnd.NoClose, null, Elapsed, $"malformed frame from the server: {ex.Message}");
        }
    }

    /// <summary>Closes with a reset instead of a FIN, as a peer that vanishes does.</summary>
    public void Abort()
    {
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
        }

        _socket.Dispose();
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>After a CLOSE the server must close too: wait for the end of the stream, briefly, and note if it does not come.</summary>
    private async Task<CloseObservation> ClosedAsync(CloseCode code, CancellationToken cancellationToken)
    {
        var after = Elapsed;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(EndAfterClose);
        try
        {
            while (await ReadFrameAsync(deadline.Token).ConfigureAwait(false) is not null)
            {
                // Nothing may follow a CLOSE; ignoring it here keeps the count of closes honest and the detail says so.
                return new CloseObservation(PeerEnd.Close, code, after, "a frame after CLOSE");
            }

            return new CloseObservation(PeerEnd.Close, code, after);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TetherProtocolException)
        {
            return new CloseObservation(PeerEnd.Close, code, after, "the server did not close the connection after its CLOSE");
        }
    }

    /// <summary>The next whole frame from the server (header included), or null at the end of the stream (FIN or reset).</summary>
    private async Task<byte[]?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var buffered = new ReadOnlySequence<byte>(_buffer, 0, _count);
            if (TetherFrame.TryRead(ref buffered, ProtocolConstants.DefaultMaxFrameSize, out var frame))
            {
                var encoded = _buffer.AsSpan(0, frame.EncodedLength).ToArray();
                _buffer.AsSpan(frame.EncodedLength, _count - frame.EncodedLength).CopyTo(_buffer);
                _count -= frame.EncodedLength;
                return encoded;
            }

            if (_count == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            int received;
            try
            {
                received = await _socket.ReceiveAsync(_buffer.AsMemory(_count), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                _howEnded = ex.SocketErrorCode == SocketError.ConnectionReset ? "connection reset" : ex.SocketErrorCode.ToString();
                return null;
            }

            if (received == 0)
            {
                return null;
            }

            _count += received;
        }
    }
}
