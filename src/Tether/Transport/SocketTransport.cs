using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Tether.Diagnostics;
using Tether.Transport.Readiness;

namespace Tether.Transport;

/// <summary>
/// Moves bytes between one connection and the protocol above it; it knows nothing of frames. This class holds what
/// every transport shares: the receive buffer (rented only while bytes wait to be consumed), the outbound buffer with
/// its single drain and corking, and the orderly shutdown. How bytes reach the network is the seam below it, a handful
/// of abstract members (<see cref="ReceiveCore"/>, <see cref="SendCoreAsync"/>, <see cref="ShutdownCore"/>,
/// <see cref="CloseCore"/>, and <see cref="Signal"/> upwards), implemented by <see cref="Readiness.EpollTransport"/> (the
/// readiness engine), <see cref="Portable.PortableTransport"/> (the runtime's zero-byte receives, anywhere) and
/// <see cref="Tls.TlsTransport"/> (an <see cref="System.Net.Security.SslStream"/> over either). The server and the
/// client only ever see this class.
/// </summary>
internal abstract class SocketTransport
{
    private readonly SendQueue _queue = new();
    private readonly TetherMetrics _metrics;

    // Per-connection totals for the admin API, counted per read and per network write (one reader, one drain each).
    private long _bytesReceived;
    private long _bytesSent;
    private readonly PeerAddress _remote;
    private ReadinessSignal _signal;
    private ReceiveBuffer _received;

    /// <param name="remote">The peer's address (kept compact).</param>
    /// <param name="maxReceiveBuffer">The receive buffer's largest size.</param>
    /// <param name="metrics">Where send and receive figures go.</param>
    protected SocketTransport(PeerAddress remote, int maxReceiveBuffer, TetherMetrics metrics)
    {
        _remote = remote;
        _metrics = metrics;
        _received = new ReceiveBuffer(maxReceiveBuffer);
    }

    /// <summary>Told (once) when a send fails, from the draining thread.</summary>
    public ISendFailureObserver? SendFailed { get; set; }

    /// <summary>Built on each call from a compact copy (see <see cref="PeerAddress"/>).</summary>
    public EndPoint? RemoteEndPoint => _remote.ToEndPoint();

    /// <summary>Looked up on each call: few ask, and keeping it would cost every idle connection a reference.</summary>
    public EndPoint? LocalEndPoint
    {
        get
        {
            try
            {
                return Socket.LocalEndPoint;
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
            {
                return null;
            }
        }
    }

    /// <summary>The socket as a <see cref="System.Net.Sockets.Socket"/>, for options and endpoints (may be created on first use).</summary>
    public abstract Socket Socket { get; }

    /// <summary>True when the socket waits on the <see cref="ReadinessEngine"/>.</summary>
    public virtual bool UsesReadinessEngine => false;

    /// <summary>True once a <see cref="System.Net.Sockets.Socket"/> object exists for this connection (the runtime's asynchronous state hangs off it).</summary>
    public virtual bool HasSocketObject => true;

    /// <summary>The compact peer address, for a transport that wraps this one.</summary>
    internal PeerAddress Remote => _remote;

    /// <summary>Bytes queued or being written, not yet handed to the kernel.</summary>
    public int PendingBytes => _queue.PendingBytes;

    /// <summary>Bytes read from the socket so far (after TLS, if any, is taken off).</summary>
    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    /// <summary>Bytes written to the network so far.</summary>
    public long BytesSent => Volatile.Read(ref _bytesSent);

    /// <summary>True while a reader is armed and nothing has arrived since (for tests of the idle-connection guarantee).</summary>
    public bool IsArmed => _signal.IsArmed;

    /// <summary>True while a receive buffer is rented (for tests of the idle-memory guarantee).</summary>
    public bool HoldsReceiveBuffer => _received.IsRented;

    /// <summary>Bytes received but not yet consumed (e.g. frames that arrived right behind the handshake).</summary>
    public ReadOnlyMemory<byte> Buffered => _received.Unread;

    /// <summary>Largest buffer a single frame may need, header included.</summary>
    public void SetMaxReceiveBuffer(int bytes) => _received.SetMaxSize(bytes);

    /// <summary>What must happen before bytes flow (the server's TLS handshake); nothing for a plain socket.</summary>
    public virtual Task OpenAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Waits for more bytes than are currently buffered and returns everything not yet consumed; empty at end of stream.
    /// Call <see cref="Consume"/> with what the reader used. The receive loops use <see cref="TryReceive"/> with
    /// <see cref="ArmReadable"/> or <see cref="WaitReadableAsync"/> directly; this is the convenient form for handshakes.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReceiveAsync()
    {
        ReadOnlyMemory<byte> data;
        while (!TryReceive(out data))
        {
            await WaitReadableAsync().ConfigureAwait(false);
        }

        return data;
    }

    /// <summary>
    /// Completes when bytes, or the end of the stream, may have arrived since <see cref="TryReceive"/> last found
    /// nothing (a wake-up can be spurious: try again). Call this only after <see cref="TryReceive"/> returned false.
    /// </summary>
    public ValueTask<int> WaitReadableAsync()
    {
        _received.ReleaseIfEmpty();
        var wait = _signal.WaitAsync(out var remembered);
        if (remembered)
        {
            OnRememberedSignal();
        }

        return wait;
    }

    /// <summary>
    /// The callback form of <see cref="WaitReadableAsync"/> for a connection that holds no state machine while idle:
    /// after <see cref="TryReceive"/> found nothing, either returns true and later calls <paramref name="reader"/> when
    /// bytes may have arrived, or returns false when they already may have (read again now).
    /// </summary>
    public bool ArmReadable(IReadinessReader reader)
    {
        if (_signal.Arm(reader))
        {
            return true;
        }

        OnRememberedSignal();
        return false;
    }

    /// <summary>
    /// Reads what is there now, without waiting. True when something happened: <paramref name="data"/> is then every
    /// byte not yet consumed, or empty at the end of the stream. False when nothing was there yet: wait with
    /// <see cref="WaitReadableAsync"/> or <see cref="ArmReadable"/> and try again.
    /// </summary>
    public bool TryReceive(out ReadOnlyMemory<byte> data)
    {
        if (IsKnownEmpty)
        {
            return NothingThere(out data);
        }

        var error = ReceiveCore(_received.GetFreeSpace(), out var read);
        if (error == SocketError.WouldBlock)
        {
            return NothingThere(out data);
        }

        if (error != SocketError.Success)
        {
            throw new SocketException((int)error);
        }

        if (read == 0)
        {
            data = ReadOnlyMemory<byte>.Empty;
            return true;
        }

        _received.Commit(read);
        _metrics.BytesReceived.Add(read);
        _bytesReceived += read;
        data = _received.Unread;
        return true;
    }

    /// <summary>
    /// After this side sent CLOSE: reads and drops whatever still arrives until the peer's FIN, or until the transport is
    /// aborted (the caller's linger deadline). Never throws.
    /// </summary>
    public async Task DiscardUntilEndAsync()
    {
        // What is buffered is being discarded anyway; and a buffer left full by a refused frame has no room to read into.
        ReleaseReceiveBuffer();
        try
        {
            while (true)
            {
                var data = await ReceiveAsync().ConfigureAwait(false);
                if (data.IsEmpty)
                {
                    return;
                }

                Consume(data.Length);
            }
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
        }
    }

    /// <summary>Marks <paramref name="count"/> bytes from the front of the last receive as used.</summary>
    public void Consume(int count) => _received.Consume(count);

    /// <summary>Returns the pooled receive buffer once the receive loop has ended.</summary>
    public void ReleaseReceiveBuffer() => _received.Release();

    /// <summary>
    /// Opens the outbound buffer for writing frames; disposing the scope sends them on the calling thread. That never
    /// waits (what the kernel will not take yet is left to an asynchronous send), so it is right for a single send, a
    /// PONG, a broadcast or the heartbeat wheel alike, and the pooled buffer goes back to the pool on the thread that
    /// rented it.
    /// </summary>
    public SendScope BeginSend()
    {
        // The queue's monitor guards sending: a separate Lock would cost 40 bytes per idle connection.
        Monitor.Enter(_queue);
        return new SendScope(this);
    }

    /// <summary>
    /// Holds back the writing of what is queued until <see cref="Uncork"/>, so that the replies to a batch of received
    /// frames leave in one send instead of one each. Only the receive loop corks, and never across an await.
    /// </summary>
    public void Cork() => _queue.Cork();

    /// <summary>Ends <see cref="Cork"/>: writes out what the batch queued, on this thread.</summary>
    public void Uncork() => _queue.Uncork(this);

    /// <summary>Writes out everything queued so far, then completes. Never throws; completes early if the connection broke.</summary>
    public Task FlushAsync() => _queue.FlushAsync();

    /// <summary>Flushes, then ends this side's sending (FIN; with TLS, close_notify first): the peer reads everything we queued, then end of stream.</summary>
    public async Task ShutdownSendAsync()
    {
        _queue.Complete();
        await FlushAsync().ConfigureAwait(false);
        try
        {
            await ShutdownSendCoreAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
        }
    }

    /// <summary>
    /// Ends the connection without discarding what was already handed to the kernel: FIN in both directions, and a
    /// waiting reader reads the end of the stream. The owner closes (<see cref="Abort"/>) once its receive loop has ended;
    /// closing with a receive still pending would make the kernel send RST, and a peer that gets RST loses whatever it
    /// had not read yet (our CLOSE frame included).
    /// </summary>
    public void Shutdown()
    {
        _queue.Complete();
        TryShutdownCore(SocketShutdown.Both);
        OnHungUp();
        Signal();
    }

    /// <summary>Closes the connection now; pending sends are dropped and a waiting reader wakes (its next receive fails).</summary>
    public void Abort()
    {
        _queue.Abort();
        CloseCore();
        OnHungUp();
        Signal();
    }

    /// <summary>Failures that mean the connection is gone (as opposed to a bug).</summary>
    internal static bool IsConnectionFailure(Exception exception) =>
        exception is SocketException or ObjectDisposedException or IOException;

    /// <summary>
    /// The seam: reads what is there now into <paramref name="buffer"/>, never waiting. <see cref="SocketError.WouldBlock"/>
    /// when nothing is, after which the transport must <see cref="Signal"/> once when something may have arrived. A read
    /// of 0 bytes is the end of the stream. May throw <see cref="IOException"/>.
    /// </summary>
    protected abstract SocketError ReceiveCore(Memory<byte> buffer, out int read);

    /// <summary>The seam: writes all of <paramref name="data"/>, completing synchronously when the kernel takes it at once. One at a time.</summary>
    protected abstract ValueTask SendCoreAsync(ReadOnlyMemory<byte> data);

    /// <summary>The seam: shuts the socket down in <paramref name="how"/>; may throw when it is already closed or reset.</summary>
    protected abstract void ShutdownCore(SocketShutdown how);

    /// <summary>The seam: closes the socket (and leaves whatever reports on it).</summary>
    protected abstract void CloseCore();

    /// <summary>Ends this side's sending; a TLS transport says close_notify first.</summary>
    protected virtual ValueTask ShutdownSendCoreAsync()
    {
        ShutdownCore(SocketShutdown.Send);
        return ValueTask.CompletedTask;
    }

    /// <summary>True when the socket is known to have nothing to read, so a receive would only find EAGAIN (see <see cref="Readiness.EpollTransport"/>).</summary>
    protected virtual bool IsKnownEmpty => false;

    /// <summary>A remembered signal is being acted on.</summary>
    protected virtual void OnRememberedSignal()
    {
    }

    /// <summary>The connection was shut down or closed here: the end of the stream must still be read.</summary>
    protected virtual void OnHungUp()
    {
    }

    /// <summary>Bytes (or the end of the stream) may have arrived: wakes whoever waits to read, or remembers it.</summary>
    protected void Signal() => _signal.Signal();

    private void TryShutdownCore(SocketShutdown how)
    {
        try
        {
            ShutdownCore(how);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Nothing to read until the next signal; a buffer left empty goes back to the pool (idle holds none).</summary>
    private bool NothingThere(out ReadOnlyMemory<byte> data)
    {
        _received.ReleaseIfEmpty();
        data = default;
        return false;
    }

    /// <summary>For the <see cref="SendQueue"/>'s drain: the network side of a send, counted.</summary>
    internal async ValueTask WriteToNetworkAsync(ReadOnlyMemory<byte> data)
    {
        await SendCoreAsync(data).ConfigureAwait(false);
        _metrics.BytesSent.Add(data.Length);
        _bytesSent += data.Length;
    }

    /// <summary>Exclusive access to the outbound buffer; frames written through <see cref="Writer"/> are sent after <see cref="Dispose"/>.</summary>
    public readonly ref struct SendScope
    {
        private readonly SocketTransport _transport;

        internal SendScope(SocketTransport transport)
        {
            _transport = transport;
        }

        /// <summary>False once the connection is closing or broken: anything written is discarded.</summary>
        public bool CanSend => _transport._queue.CanSend;

        /// <summary>Bytes queued but not yet handed to the kernel.</summary>
        public int PendingBytes => _transport._queue.PendingBytesUnlocked;

        /// <summary>Where frames are written.</summary>
        public IBufferWriter<byte> Writer => _transport._queue;

        /// <summary>Ends the scope and sends what was written.</summary>
        public void Dispose() => _transport._queue.ExitAndDrain(_transport);
    }
}
