using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Tether.Diagnostics;
using Tether.Transport.Readiness;

namespace Tether.Transport;

/// <summary>
/// Moves bytes between one socket and the protocol above it; it knows nothing of frames.
/// Receiving: the socket is registered with the <see cref="ReadinessEngine"/>, so an idle connection waits without a
/// buffer, a pending operation or a state machine; a pooled buffer is rented only when data is ready and returned once
/// every byte is consumed. (Where the engine is unavailable, a zero-byte receive does the waiting.) Sending: frames are encoded into a shared <see cref="OutboundBuffer"/>
/// and one drain at a time writes them out. The socket is non-blocking, so the drain first writes with a plain
/// <c>send</c> that never waits; only what the kernel will not take yet goes through an asynchronous send. No sender
/// ever blocks on the socket, and no task, buffer or event-args object exists while there is nothing to send.
/// </summary>
internal sealed class SocketTransport
{
    private const int InitialReceiveSize = 4096;
    private const int ReadIdle = 0;
    private const int ReadSignaled = 1;
    private const int ReadAwaited = 2;
    private const int ReadCallback = 3;

    private readonly SafeSocketHandle _handle;
    private Socket? _socket;
    private readonly OutboundBuffer _outbound = new();
    private readonly TetherMetrics _metrics;
    private byte[]? _receiveBuffer;
    private int _receiveStart;
    private int _receiveEnd;
    private int _maxReceiveBuffer;
    private bool _draining;
    private bool _sendsCompleted;
    private bool _sendFailed;
    private int _inflightBytes;
    private bool _corked;
    private EndPoint? _localEndPoint;
    private readonly PeerAddress _remote;
    private TaskCompletionSource? _drained;
    private int _readState;
    private readonly long _registration = -1;
    private ReadableAwaiter? _awaiter;
    private IReadinessReader? _readCallback;

    // Edge-triggered epoll reports every arrival, so after a receive that got less than it asked for the socket is known
    // to be empty until the next report: the receive that would only find EAGAIN is skipped (one system call of the four
    // a heartbeat costs). Never after a hang-up, whose end of stream must still be read.
    private volatile bool _knownEmpty;
    private volatile bool _hungUp;

    // The monitor of this object guards sending: a separate Lock would cost 40 bytes per idle connection.
    private object SendLock => this;

    /// <param name="socket">The socket to read and write.</param>
    /// <param name="maxReceiveBuffer">The receive buffer's largest size.</param>
    /// <param name="metrics">Where send and receive figures go.</param>
    /// <param name="network">
    /// For a TLS connection, whose <paramref name="socket"/> is the local end of a <see cref="Tls.TlsTunnel"/>: the
    /// network socket, whose endpoints are the ones to report.
    /// </param>
    public SocketTransport(Socket socket, int maxReceiveBuffer, TetherMetrics metrics, Socket? network = null)
    {
        _handle = socket.SafeHandle;
        _metrics = metrics;
        _maxReceiveBuffer = Math.Max(maxReceiveBuffer, InitialReceiveSize);

        // Non-blocking: a send returns at once with what the kernel took, so most drains complete without an asynchronous
        // send and the per-socket event-args object it would create and keep (about 360 bytes); a receive returns at once
        // with what is there.
        _remote = PeerAddress.From((network ?? socket).RemoteEndPoint);
        if (network is not null)
        {
            _localEndPoint = network.LocalEndPoint;
        }
        if (ReadinessEngine.Shared is { } engine)
        {
            // Everything goes through the handle from here on: the Socket object (112 bytes) is not kept. Its finalizer
            // would close the handle, which now belongs to this transport.
#pragma warning disable CA1816 // Not a Dispose pattern: ownership of the handle moves from the Socket to this transport.
            GC.SuppressFinalize(socket);
#pragma warning restore CA1816
            SocketSyscalls.SetNonBlocking(_handle);
            _registration = engine.Register(_handle, this);
        }
        else
        {
            _socket = socket;
            socket.Blocking = false;
        }
    }

    /// <summary>Told (once) when a send fails, from the draining thread.</summary>
    public ISendFailureObserver? SendFailed { get; set; }

    /// <summary>Built on each call from a compact copy (see <see cref="PeerAddress"/>).</summary>
    public EndPoint? RemoteEndPoint => _remote.ToEndPoint();

    /// <summary>Looked up on first use: few ask, and the lookup allocates (an address buffer and an endpoint).</summary>
    public EndPoint? LocalEndPoint
    {
        get
        {
            if (_localEndPoint is null)
            {
                try
                {
                    _localEndPoint = Socket.LocalEndPoint;
                }
                catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
                {
                }
            }

            return _localEndPoint;
        }
    }

    /// <summary>
    /// The socket as a <see cref="System.Net.Sockets.Socket"/>: with the readiness engine it is created again over the
    /// handle when something asks (socket options, an asynchronous send to a slow reader), not kept per connection.
    /// </summary>
    public Socket Socket
    {
        get
        {
            if (_socket is { } socket)
            {
                return socket;
            }

            // Created over our handle, so it must not close it when collected (the handle closes in Abort).
            var created = new Socket(_handle);
#pragma warning disable CA1816 // Not a Dispose pattern: the handle belongs to this transport, not to the view over it.
            GC.SuppressFinalize(created);
#pragma warning restore CA1816
            Interlocked.CompareExchange(ref _socket, created, null);
            return _socket!;
        }
    }

    /// <summary>The operating-system handle of the socket.</summary>
    public SafeSocketHandle Handle => _handle;

    /// <summary>Bytes queued or being written, not yet handed to the kernel.</summary>
    public int PendingBytes
    {
        get
        {
            lock (SendLock)
            {
                return _outbound.Length + _inflightBytes;
            }
        }
    }

    /// <summary>True when the socket waits on the <see cref="ReadinessEngine"/> (always, on Linux).</summary>
    public bool UsesReadinessEngine => _registration >= 0;

    /// <summary>True while a reader is armed and nothing has arrived since (for tests of the idle-connection guarantee).</summary>
    public bool IsArmed => Volatile.Read(ref _readState) == ReadCallback;

    /// <summary>
    /// True once a <see cref="System.Net.Sockets.Socket"/> exists for this connection (always without the engine; with it,
    /// only after something asked for one): the runtime's per-socket asynchronous state hangs off that object.
    /// </summary>
    public bool HasSocketObject => Volatile.Read(ref _socket) is not null;

    /// <summary>True while a receive buffer is rented (for tests of the idle-memory guarantee).</summary>
    public bool HoldsReceiveBuffer => _receiveBuffer is not null;

    /// <summary>Bytes received but not yet consumed (e.g. frames that arrived right behind the handshake).</summary>
    public ReadOnlyMemory<byte> Buffered => _receiveBuffer.AsMemory(_receiveStart, _receiveEnd - _receiveStart);

    /// <summary>Largest buffer a single frame may need, header included.</summary>
    public void SetMaxReceiveBuffer(int bytes) => _maxReceiveBuffer = Math.Max(bytes, InitialReceiveSize);

    /// <summary>
    /// Waits for more bytes than are currently buffered and returns everything not yet consumed; empty at end of stream.
    /// Only one receive may be outstanding. Call <see cref="Consume"/> with what the reader used. The receive loops use
    /// <see cref="TryReceive"/> with <see cref="ArmReadable"/> or <see cref="WaitReadableAsync"/> directly; this is the
    /// convenient form for handshakes.
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
    /// nothing (a wake-up can be spurious: try again, and wait again if it still finds nothing). Readiness is reported
    /// once per arrival, so call this only after <see cref="TryReceive"/> returned false.
    /// </summary>
    public ValueTask<int> WaitReadableAsync()
    {
        if (_receiveBuffer is not null && _receiveStart == _receiveEnd)
        {
            ReleaseReceiveBuffer();
        }

        if (_registration < 0)
        {
            return _socket!.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
        }

        var wait = (_awaiter ??= new ReadableAwaiter()).Begin();
        if (Interlocked.CompareExchange(ref _readState, ReadAwaited, ReadIdle) == ReadSignaled)
        {
            // A report arrived while nobody waited: it may be bytes after the receive that found the socket empty.
            _knownEmpty = false;
            Volatile.Write(ref _readState, ReadIdle);
            return new ValueTask<int>(0);
        }

        return wait;
    }

    /// <summary>
    /// The callback form of <see cref="WaitReadableAsync"/> for a connection that holds no state machine while idle:
    /// after <see cref="TryReceive"/> found nothing, either returns true and later calls <paramref name="reader"/> (on
    /// the engine's thread) when bytes may have arrived, or returns false when they already may have (read again now).
    /// </summary>
    public bool ArmReadable(IReadinessReader reader)
    {
        _awaiter = null;
        _readCallback = reader;
        if (_registration < 0)
        {
            _ = QueueWhenReadableAsync(reader);
            return true;
        }

        if (Interlocked.CompareExchange(ref _readState, ReadCallback, ReadIdle) == ReadSignaled)
        {
            // A report arrived while nobody waited: it may be bytes after the receive that found the socket empty.
            _knownEmpty = false;
            Volatile.Write(ref _readState, ReadIdle);
            return false;
        }

        return true;
    }

    /// <summary>
    /// From the <see cref="ReadinessEngine"/>'s thread: wakes whoever waits to read, or remembers for the next wait.
    /// <paramref name="hungUp"/> is true when the kernel also reported a hang-up or an error (the peer's FIN, a reset).
    /// </summary>
    public void OnReadable(bool hungUp)
    {
        if (hungUp)
        {
            _hungUp = true;
        }

        _knownEmpty = false;
        while (true)
        {
            switch (Volatile.Read(ref _readState))
            {
                case ReadSignaled:
                    return;
                case ReadIdle when Interlocked.CompareExchange(ref _readState, ReadSignaled, ReadIdle) == ReadIdle:
                    return;
                case ReadAwaited when Interlocked.CompareExchange(ref _readState, ReadIdle, ReadAwaited) == ReadAwaited:
                    _awaiter!.Complete();
                    return;
                case ReadCallback when Interlocked.CompareExchange(ref _readState, ReadIdle, ReadCallback) == ReadCallback:
                    _readCallback!.OnReadable();
                    return;
            }
        }
    }

    /// <summary>
    /// Reads what the kernel has now, without waiting (the socket is non-blocking). True when something happened:
    /// <paramref name="data"/> is then every byte not yet consumed, or empty at the end of the stream. False when nothing
    /// was there yet: wait with <see cref="WaitReadableAsync"/> and try again.
    /// </summary>
    public bool TryReceive(out ReadOnlyMemory<byte> data)
    {
        if (_knownEmpty)
        {
            return NothingThere(out data);
        }

        if (_receiveBuffer is null)
        {
            _receiveBuffer = ArrayPool<byte>.Shared.Rent(InitialReceiveSize);
        }
        else
        {
            MakeRoom();
        }

        int read;
        SocketError error;
        if (_registration >= 0)
        {
            var room = _receiveBuffer.Length - _receiveEnd;
            error = SocketSyscalls.Receive(_handle, _receiveBuffer.AsSpan(_receiveEnd), out read);
            _knownEmpty = error == SocketError.Success && read > 0 && read < room && !_hungUp;
        }
        else
        {
            read = _socket!.Receive(_receiveBuffer, _receiveEnd, _receiveBuffer.Length - _receiveEnd, SocketFlags.None, out error);
        }

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

        _receiveEnd += read;
        _metrics.BytesReceived.Add(read);
        data = _receiveBuffer.AsMemory(_receiveStart, _receiveEnd - _receiveStart);
        return true;
    }

    /// <summary>Nothing to read until the next readiness report; a buffer left empty goes back to the pool (idle holds none).</summary>
    private bool NothingThere(out ReadOnlyMemory<byte> data)
    {
        if (_receiveBuffer is not null && _receiveStart == _receiveEnd)
        {
            ReleaseReceiveBuffer();
        }

        data = default;
        return false;
    }

    /// <summary>
    /// After this side sent CLOSE: reads and drops whatever still arrives until the peer's FIN, or until the socket is
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
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
        }
    }

    /// <summary>Marks <paramref name="count"/> bytes from the front of the last receive as used.</summary>
    public void Consume(int count)
    {
        _receiveStart += count;
        if (_receiveStart == _receiveEnd)
        {
            ReleaseReceiveBuffer();
        }
    }

    /// <summary>
    /// Opens the outbound buffer for writing frames; disposing the scope sends them on the calling thread. That never
    /// waits (the socket is non-blocking; what the kernel will not take yet is left to an asynchronous send), so it is
    /// right for a single send, a PONG, a broadcast or the heartbeat wheel alike, and the pooled buffer goes back to the
    /// pool on the thread that rented it.
    /// </summary>
    public SendScope BeginSend()
    {
        Monitor.Enter(SendLock);
        return new SendScope(this);
    }

    /// <summary>
    /// Holds back the writing of what is queued until <see cref="Uncork"/>, so that the replies to a batch of received
    /// frames leave in one send instead of one each. Only the receive loop corks, and never across an await.
    /// </summary>
    public void Cork()
    {
        Monitor.Enter(SendLock);
        _corked = true;
        Monitor.Exit(SendLock);
    }

    /// <summary>Ends <see cref="Cork"/>: writes out what the batch queued, on this thread.</summary>
    public void Uncork()
    {
        Monitor.Enter(SendLock);
        _corked = false;
        EndSend();
    }

    /// <summary>Writes out everything queued so far, then completes. Never throws; completes early if the connection broke.</summary>
    public Task FlushAsync()
    {
        lock (SendLock)
        {
            if ((!_draining && _outbound.Length == 0) || _sendFailed)
            {
                return Task.CompletedTask;
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }

    /// <summary>Flushes, then sends FIN: the peer reads everything we queued, then end of stream.</summary>
    public async Task ShutdownSendAsync()
    {
        lock (SendLock)
        {
            _sendsCompleted = true;
        }

        await FlushAsync().ConfigureAwait(false);
        try
        {
            Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Ends the connection without discarding what was already handed to the kernel: FIN in both directions, and the
    /// pending receive completes with end of stream. The owner disposes the socket (<see cref="Abort"/>) once its receive
    /// loop has ended; disposing with a receive still pending would make the kernel send RST, and a peer that gets RST
    /// loses whatever it had not read yet (our CLOSE frame included).
    /// </summary>
    public void Shutdown()
    {
        lock (SendLock)
        {
            _sendsCompleted = true;
        }

        try
        {
            Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        OnReadable(hungUp: true);
    }

    /// <summary>Closes the socket now; pending sends are dropped and a pending receive ends.</summary>
    public void Abort()
    {
        lock (SendLock)
        {
            _sendsCompleted = true;
            _sendFailed = true;
            if (!_draining)
            {
                _outbound.Release();
            }

            CompleteDrainedWaiter();
        }

        if (_registration >= 0)
        {
            // Not through a Socket created over the handle: disposing one of those closes abortively (RST), and the
            // peer would lose what it had not read yet.
            _handle.Dispose();
        }
        else
        {
            _socket!.Dispose();
        }

        if (_registration >= 0)
        {
            ReadinessEngine.Shared!.Unregister(_registration);

            // A closed socket leaves the epoll set without an event: wake the reader, whose next receive then fails.
            OnReadable(hungUp: true);
        }
    }

    /// <summary>Returns the pooled receive buffer once the receive loop has ended.</summary>
    public void ReleaseReceiveBuffer()
    {
        if (_receiveBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_receiveBuffer);
            _receiveBuffer = null;
        }

        _receiveStart = 0;
        _receiveEnd = 0;
    }

    private void MakeRoom()
    {
        var buffer = _receiveBuffer!;
        if (_receiveStart > 0)
        {
            buffer.AsSpan(_receiveStart, _receiveEnd - _receiveStart).CopyTo(buffer);
            _receiveEnd -= _receiveStart;
            _receiveStart = 0;
        }

        if (_receiveEnd == buffer.Length)
        {
            if (buffer.Length >= _maxReceiveBuffer)
            {
                throw new InvalidOperationException("receive buffer is full; the framing should have rejected this frame");
            }

            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_maxReceiveBuffer, buffer.Length * 2));
            buffer.AsSpan(0, _receiveEnd).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(buffer);
            _receiveBuffer = larger;
        }
    }

    private void EndSend()
    {
        var schedule = false;
        if (_outbound.Length > 0 && !_draining && !_sendFailed && !_corked)
        {
            _draining = true;
            schedule = true;
        }

        Monitor.Exit(SendLock);
        if (!schedule)
        {
            return;
        }

        _ = DrainAsync();
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            byte[]? buffer;
            int length;
            lock (SendLock)
            {
                if (_outbound.Length == 0 || _sendFailed)
                {
                    _outbound.Release();
                    _draining = false;
                    CompleteDrainedWaiter();
                    return;
                }

                buffer = _outbound.Take(out length);
                _inflightBytes = length;
            }

            try
            {
                var sent = SendWithoutWaiting(buffer!, length);
                while (sent < length)
                {
                    // The kernel's send buffer is full: wait for room without holding a thread.
                    sent += await Socket.SendAsync(buffer.AsMemory(sent, length - sent), SocketFlags.None).ConfigureAwait(false);
                }

                _metrics.BytesSent.Add(length);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                lock (SendLock)
                {
                    _sendFailed = true;
                }

                SendFailed?.OnSendFailed(ex);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer!);
                lock (SendLock)
                {
                    _inflightBytes = 0;
                }
            }
        }
    }

    /// <summary>Writes what the kernel takes right now; returns how much that was (less than asked when its buffer is full).</summary>
    private int SendWithoutWaiting(byte[] buffer, int length)
    {
        var sent = 0;
        while (sent < length)
        {
            int written;
            SocketError error;
            if (_registration >= 0)
            {
                error = SocketSyscalls.Send(_handle, buffer.AsSpan(sent, length - sent), out written);
            }
            else
            {
                written = _socket!.Send(buffer, sent, length - sent, SocketFlags.None, out error);
            }

            if (error == SocketError.Success)
            {
                sent += written;
            }
            else if (error == SocketError.WouldBlock)
            {
                return sent;
            }
            else
            {
                throw new SocketException((int)error);
            }
        }

        return sent;
    }

    private async Task QueueWhenReadableAsync(IReadinessReader reader)
    {
        try
        {
            await _socket!.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The reader's next receive reports it.
        }

        reader.OnReadable();
    }

    private void Shutdown(SocketShutdown how)
    {
        if (_registration >= 0)
        {
            SocketSyscalls.Shutdown(_handle, how);
        }
        else
        {
            _socket!.Shutdown(how);
        }
    }

    private void CompleteDrainedWaiter()
    {
        var waiter = _drained;
        _drained = null;
        waiter?.TrySetResult();
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
        public bool CanSend => !_transport._sendsCompleted && !_transport._sendFailed;

        /// <summary>Bytes queued but not yet handed to the kernel.</summary>
        public int PendingBytes => _transport._outbound.Length + _transport._inflightBytes;

        public IBufferWriter<byte> Writer => _transport._outbound;

        public void Dispose() => _transport.EndSend();
    }
}
