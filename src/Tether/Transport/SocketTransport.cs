using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Tether.Diagnostics;

namespace Tether.Transport;

/// <summary>
/// Moves bytes between one socket and the protocol above it; it knows nothing of frames.
/// Receiving: zero-byte reads park an idle connection without a buffer; a pooled buffer is rented only when data is
/// ready and returned once every byte is consumed. Sending: frames are encoded into a shared <see cref="OutboundBuffer"/>
/// and one drain at a time writes them out. The socket is non-blocking, so the drain first writes with a plain
/// <c>send</c> that never waits; only what the kernel will not take yet goes through an asynchronous send. No sender
/// ever blocks on the socket, and no task, buffer or event-args object exists while there is nothing to send.
/// </summary>
internal sealed class SocketTransport : IThreadPoolWorkItem
{
    private const int InitialReceiveSize = 4096;

    private readonly Socket _socket;
    private readonly Lock _sendLock = new();
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
    private TaskCompletionSource? _drained;

    public SocketTransport(Socket socket, int maxReceiveBuffer, TetherMetrics metrics)
    {
        _socket = socket;
        _metrics = metrics;
        _maxReceiveBuffer = Math.Max(maxReceiveBuffer, InitialReceiveSize);

        // Synchronous sends then return at once with what the kernel took: most drains complete without an asynchronous
        // send, and so without the per-socket event-args object it would create and keep (about 360 bytes).
        socket.Blocking = false;
        RemoteEndPoint = socket.RemoteEndPoint;
        LocalEndPoint = socket.LocalEndPoint;
    }

    /// <summary>Called (once) when a send fails, from the draining thread.</summary>
    public Action<Exception>? SendFailed { get; set; }

    public EndPoint? RemoteEndPoint { get; }

    public EndPoint? LocalEndPoint { get; }

    public Socket Socket => _socket;

    /// <summary>Bytes queued or being written, not yet handed to the kernel.</summary>
    public int PendingBytes
    {
        get
        {
            lock (_sendLock)
            {
                return _outbound.Length + _inflightBytes;
            }
        }
    }

    /// <summary>True while a receive buffer is rented (for tests of the idle-memory guarantee).</summary>
    public bool HoldsReceiveBuffer => _receiveBuffer is not null;

    /// <summary>Bytes received but not yet consumed (e.g. frames that arrived right behind the handshake).</summary>
    public ReadOnlyMemory<byte> Buffered => _receiveBuffer.AsMemory(_receiveStart, _receiveEnd - _receiveStart);

    /// <summary>Largest buffer a single frame may need, header included.</summary>
    public void SetMaxReceiveBuffer(int bytes) => _maxReceiveBuffer = Math.Max(bytes, InitialReceiveSize);

    /// <summary>
    /// Waits for more bytes than are currently buffered and returns everything not yet consumed; empty at end of stream.
    /// Only one receive may be outstanding. Call <see cref="Consume"/> with what the reader used. The receive loops use
    /// <see cref="WaitReadableAsync"/> and <see cref="TryReceive"/> directly, which keeps no state machine of ours alive
    /// while a connection is idle; this is the convenient form for handshakes.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReceiveAsync()
    {
        ReadOnlyMemory<byte> data;
        do
        {
            await WaitReadableAsync().ConfigureAwait(false);
        }
        while (!TryReceive(out data));

        return data;
    }

    /// <summary>
    /// Completes when bytes, or the end of the stream, are ready to read. An idle connection parks here in the kernel
    /// (a zero-byte receive), holding no receive buffer once everything it had was consumed.
    /// </summary>
    public ValueTask<int> WaitReadableAsync()
    {
        if (_receiveBuffer is not null && _receiveStart == _receiveEnd)
        {
            ReleaseReceiveBuffer();
        }

        return _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
    }

    /// <summary>
    /// Reads what the kernel has now, without waiting (the socket is non-blocking). True when something happened:
    /// <paramref name="data"/> is then every byte not yet consumed, or empty at the end of the stream. False when nothing
    /// was there yet: wait with <see cref="WaitReadableAsync"/> and try again.
    /// </summary>
    public bool TryReceive(out ReadOnlyMemory<byte> data)
    {
        if (_receiveBuffer is null)
        {
            _receiveBuffer = ArrayPool<byte>.Shared.Rent(InitialReceiveSize);
        }
        else
        {
            MakeRoom();
        }

        var read = _socket.Receive(_receiveBuffer, _receiveEnd, _receiveBuffer.Length - _receiveEnd, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock)
        {
            if (_receiveStart == _receiveEnd)
            {
                ReleaseReceiveBuffer();
            }

            data = default;
            return false;
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
    /// Opens the outbound buffer for writing frames; disposing the scope sends them. With <paramref name="inline"/> the
    /// first write to the socket happens on the calling thread (lowest latency for a single send or a PONG); without it
    /// the write is handed to the thread pool, so one caller pushing to many connections (broadcast, the heartbeat
    /// wheel) never waits on a socket.
    /// </summary>
    public SendScope BeginSend(bool inline = false)
    {
        _sendLock.Enter();
        return new SendScope(this, inline);
    }

    /// <summary>Writes out everything queued so far, then completes. Never throws; completes early if the connection broke.</summary>
    public Task FlushAsync()
    {
        lock (_sendLock)
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
        lock (_sendLock)
        {
            _sendsCompleted = true;
        }

        await FlushAsync().ConfigureAwait(false);
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
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
        lock (_sendLock)
        {
            _sendsCompleted = true;
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Closes the socket now; pending sends are dropped and a pending receive ends.</summary>
    public void Abort()
    {
        lock (_sendLock)
        {
            _sendsCompleted = true;
            _sendFailed = true;
            if (!_draining)
            {
                _outbound.Release();
            }

            CompleteDrainedWaiter();
        }

        _socket.Dispose();
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

    void IThreadPoolWorkItem.Execute() => _ = DrainAsync();

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

    private void EndSend(bool inline)
    {
        var schedule = false;
        if (_outbound.Length > 0 && !_draining && !_sendFailed)
        {
            _draining = true;
            schedule = true;
        }

        _sendLock.Exit();
        if (!schedule)
        {
            return;
        }

        if (inline)
        {
            _ = DrainAsync();
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            byte[]? buffer;
            int length;
            lock (_sendLock)
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
                    sent += await _socket.SendAsync(buffer.AsMemory(sent, length - sent), SocketFlags.None).ConfigureAwait(false);
                }

                _metrics.BytesSent.Add(length);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                lock (_sendLock)
                {
                    _sendFailed = true;
                }

                SendFailed?.Invoke(ex);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer!);
                lock (_sendLock)
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
            var written = _socket.Send(buffer, sent, length - sent, SocketFlags.None, out var error);
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
        private readonly bool _inline;

        internal SendScope(SocketTransport transport, bool inline)
        {
            _transport = transport;
            _inline = inline;
        }

        /// <summary>False once the connection is closing or broken: anything written is discarded.</summary>
        public bool CanSend => !_transport._sendsCompleted && !_transport._sendFailed;

        /// <summary>Bytes queued but not yet handed to the kernel.</summary>
        public int PendingBytes => _transport._outbound.Length + _transport._inflightBytes;

        public IBufferWriter<byte> Writer => _transport._outbound;

        public void Dispose() => _transport.EndSend(_inline);
    }
}
