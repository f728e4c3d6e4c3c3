using System.Diagnostics;
using System.Net.Sockets;
using Tether.Protocol;

namespace Tether.LoadGen.Net;

/// <summary>
/// A client connection with no per-message allocation: one <see cref="Socket.ReceiveAsync(Memory{byte}, SocketFlags, CancellationToken)"/>
/// loop into a per-connection buffer (the socket reuses its awaitable, the loop's state machine is allocated once), and
/// a send buffer that is written with one non-blocking <see cref="Socket.Send(ReadOnlySpan{byte}, SocketFlags, out SocketError)"/>
/// per batch; only when the kernel buffer is full does an async send take over until it drains. Heartbeats come from
/// the shared <see cref="HeartbeatWheel"/>, not from a timer per connection.
/// </summary>
internal abstract class LeanConnection
{
    /// <summary>Largest receive buffer (a frame of the default 1 MiB maximum plus its headers).</summary>
    protected const int MaxReceiveBuffer = ProtocolConstants.DefaultMaxFrameSize + 64;

    /// <summary>Bytes queued and not yet taken by the kernel beyond which the peer counts as stuck.</summary>
    private const int MaxSendBacklog = 16 * 1024 * 1024;

    /// <summary>Receives that may complete synchronously in a row before the loop yields the thread.</summary>
    private const int MaxInlineReceives = 4;

    private readonly Lock _sendLock = new();
    private byte[] _send;
    private int _sendLength;
    private bool _flushing;
    private byte[] _receive;
    private int _receiveLength;
    private int _ended;
    private long _lastSent;
    private Socket? _socket;

    protected LeanConnection(LeanContext context, int receiveBuffer, int sendBuffer)
    {
        Context = context;
        _receive = new byte[receiveBuffer];
        _send = new byte[sendBuffer];
    }

    /// <summary>Shared settings and counters of the run.</summary>
    public LeanContext Context { get; }

    /// <summary>Mode-specific state of this connection.</summary>
    public object? State { get; set; }

    /// <summary>True between a successful open and the end of the connection.</summary>
    public bool IsOpen => _socket is not null && Volatile.Read(ref _ended) == 0;

    /// <summary>Timestamp of the last bytes handed to the kernel.</summary>
    public long LastSent => Volatile.Read(ref _lastSent);

    /// <summary>Why the connection ended, once it has.</summary>
    public string? EndReason { get; private set; }

    /// <summary>The heartbeat interval in <see cref="Stopwatch"/> ticks (0 = no heartbeat).</summary>
    public long HeartbeatTicks { get; protected set; }

    /// <summary>The lock that orders everything written to the send buffer.</summary>
    protected Lock SendLock => _sendLock;

    /// <summary>
    /// Connects and performs the handshake, retrying a failed attempt <see cref="Connector.Retries"/> times after a short
    /// delay. Returns null when open, else why it failed (null also when <paramref name="cancellationToken"/> stopped it
    /// first: <see cref="IsOpen"/> then stays false).
    /// </summary>
    public async Task<string?> OpenAsync(CancellationToken cancellationToken)
    {
        string reason = "unknown";
        for (var attempt = 0; attempt <= Connector.Retries; attempt++)
        {
            if (attempt > 0)
            {
                try
                {
                    await Task.Delay(Connector.RetryDelay(attempt), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
            }

            Socket? socket = null;
            try
            {
                socket = await Connector.ConnectAsync(Context.Target, Context.Source, cancellationToken).ConfigureAwait(false);
                socket.Blocking = false;
                _socket = socket;
                _sendLength = 0;
                _receiveLength = 0;
                using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    timeout.CancelAfter(Connector.HandshakeTimeout);
                    try
                    {
                        await HandshakeAsync(timeout.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new HandshakeException("handshake-timeout", retry: true);
                    }
                }

                _lastSent = Stopwatch.GetTimestamp();
                return null;
            }
            catch (OperationCanceledException)
            {
                Abandon(socket);
                return null;
            }
            catch (SocketException ex)
            {
                reason = Connector.Describe(ex.SocketErrorCode);
            }
            catch (HandshakeException ex)
            {
                reason = ex.Message;
                if (!ex.Retry)
                {
                    Abandon(socket);
                    return reason;
                }
            }
            catch (TetherProtocolException ex)
            {
                Abandon(socket);
                return "protocol-error-" + ex.Code.ToEventName();
            }
            catch (ObjectDisposedException)
            {
                reason = "closed";
            }

            Abandon(socket);
        }

        return reason;
    }

    /// <summary>Starts the receive loop (after a successful <see cref="OpenAsync"/>).</summary>
    public void StartReceiving() => _ = ReceiveLoopAsync();

    /// <summary>
    /// Called by the heartbeat wheel at (or after) the due time it was given; sends a heartbeat if one is due and
    /// returns the next due timestamp, or -1 to leave the wheel.
    /// </summary>
    public long OnHeartbeat(long now, long slack)
    {
        if (!IsOpen || HeartbeatTicks <= 0)
        {
            return -1;
        }

        var due = LastSent + HeartbeatTicks;
        if (due - now > slack)
        {
            return due;
        }

        SendHeartbeat(now);
        return now + HeartbeatTicks;
    }

    /// <summary>Called by the wheel a short delay after <see cref="HeartbeatWheel.RequestAck"/>.</summary>
    public virtual void OnAckTimer()
    {
    }

    /// <summary>Moves the last-sent time back so that the first heartbeat comes after a random part of the interval.</summary>
    public void Backdate(long ticks) => Interlocked.Add(ref _lastSent, -ticks);

    /// <summary>
    /// Closes on purpose at the end of the run: writes the protocol's goodbye (if any), flushes it, and closes the socket.
    /// Not counted as a disconnect.
    /// </summary>
    public void Close()
    {
        if (!IsOpen)
        {
            return;
        }

        lock (_sendLock)
        {
            WriteGoodbyeLocked();
        }

        Flush();
        End("closed", expected: true);
    }

    /// <summary>Ends the connection once; unexpected ends are counted with their reason.</summary>
    public void End(string reason, bool expected = false)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        EndReason = reason;
        if (!expected && _socket is not null)
        {
            Context.Stats.OnDisconnected(reason);
        }

        try
        {
            _socket?.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _socket?.Dispose();
    }

    /// <summary>
    /// Hands the send buffer to the kernel with one non-blocking send; what does not fit goes out with an async send
    /// that keeps draining the buffer (later writes join it) until it is empty.
    /// </summary>
    public void Flush()
    {
        var socket = _socket;
        if (socket is null)
        {
            return;
        }

        string? failure = null;
        lock (_sendLock)
        {
            if (_flushing || _sendLength == 0 || Volatile.Read(ref _ended) != 0)
            {
                return;
            }

            int sent;
            SocketError error;
            try
            {
                sent = socket.Send(_send.AsSpan(0, _sendLength), SocketFlags.None, out error);
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            if (error == SocketError.Success && sent == _sendLength)
            {
                _sendLength = 0;
                Volatile.Write(ref _lastSent, Stopwatch.GetTimestamp());
                return;
            }

            if (error is SocketError.Success or SocketError.WouldBlock)
            {
                RemoveSentLocked(Math.Max(sent, 0));
                _flushing = true;
            }
            else
            {
                failure = Connector.Describe(error);
            }
        }

        if (failure is not null)
        {
            End(failure);
        }
        else
        {
            _ = FlushSlowAsync(socket);
        }
    }

    /// <summary>Writes the connection's handshake and waits for the server's answer; throws <see cref="HandshakeException"/>.</summary>
    protected abstract Task HandshakeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Handles the bytes received so far (<paramref name="buffer"/>[0..<paramref name="length"/>)); returns how many it
    /// consumed (whole frames). May write to the send buffer; the caller flushes once afterwards.
    /// </summary>
    protected abstract int Process(byte[] buffer, int length, long now);

    /// <summary>Called after each receive batch, before the flush.</summary>
    protected virtual void AfterBatch(long now)
    {
    }

    /// <summary>Writes one heartbeat to the send buffer and flushes.</summary>
    protected abstract void SendHeartbeat(long now);

    /// <summary>Writes the protocol's last words before a deliberate close (under the send lock).</summary>
    protected virtual void WriteGoodbyeLocked()
    {
    }

    /// <summary>Space for <paramref name="length"/> bytes at the end of the send buffer (under <see cref="SendLock"/>).</summary>
    protected Span<byte> ReserveLocked(int length)
    {
        if (_sendLength + length > _send.Length)
        {
            var size = Math.Max(_send.Length * 2, _sendLength + length);
            if (size > MaxSendBacklog)
            {
                throw new SendBacklogException();
            }

            Array.Resize(ref _send, size);
        }

        return _send.AsSpan(_sendLength, length);
    }

    /// <summary>Adds the <paramref name="length"/> bytes written into the last <see cref="ReserveLocked"/> span.</summary>
    protected void CommitLocked(int length) => _sendLength += length;

    /// <summary>Copies <paramref name="bytes"/> into the send buffer (under <see cref="SendLock"/>).</summary>
    protected void AppendLocked(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(ReserveLocked(bytes.Length));
        CommitLocked(bytes.Length);
    }

    /// <summary>Copies <paramref name="bytes"/> into the send buffer and flushes.</summary>
    protected void Send(ReadOnlySpan<byte> bytes)
    {
        lock (_sendLock)
        {
            AppendLocked(bytes);
        }

        Flush();
    }

    /// <summary>During the handshake: receives more bytes into the buffer; returns the bytes now buffered (0 = closed).</summary>
    protected async Task<int> ReceiveHandshakeAsync(CancellationToken cancellationToken)
    {
        if (_receiveLength == _receive.Length)
        {
            Array.Resize(ref _receive, _receive.Length * 2);
        }

        var received = await _socket!.ReceiveAsync(_receive.AsMemory(_receiveLength), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        if (received == 0)
        {
            return 0;
        }

        _receiveLength += received;
        return _receiveLength;
    }

    /// <summary>The handshake bytes received so far.</summary>
    protected ReadOnlySpan<byte> Received => _receive.AsSpan(0, _receiveLength);

    /// <summary>The receive buffer, for parsers that read a sequence.</summary>
    protected byte[] ReceiveBuffer => _receive;

    /// <summary>Drops the first <paramref name="count"/> received bytes (handled during the handshake).</summary>
    protected void ConsumeReceived(int count)
    {
        Buffer.BlockCopy(_receive, count, _receive, 0, _receiveLength - count);
        _receiveLength -= count;
    }

    private async Task ReceiveLoopAsync()
    {
        var socket = _socket!;
        var inline = 0;
        try
        {
            if (_receiveLength > 0)
            {
                HandleReceived(Stopwatch.GetTimestamp());
            }

            while (Volatile.Read(ref _ended) == 0)
            {
                if (_receiveLength == _receive.Length)
                {
                    if (_receive.Length >= MaxReceiveBuffer)
                    {
                        End("frame-too-large");
                        return;
                    }

                    Array.Resize(ref _receive, Math.Min(_receive.Length * 2, MaxReceiveBuffer));
                }

                var receive = socket.ReceiveAsync(_receive.AsMemory(_receiveLength), SocketFlags.None);
                if (!receive.IsCompleted)
                {
                    inline = 0;
                }
                else if (++inline >= MaxInlineReceives)
                {
                    // Data was already there several times in a row: let other connections run before this one goes
                    // on, or a fast peer keeps the thread to itself (unfair latencies, starved connections).
                    inline = 0;
                    await Task.Yield();
                }

                var received = await receive.ConfigureAwait(false);
                if (received == 0)
                {
                    End("eof");
                    return;
                }

                _receiveLength += received;
                HandleReceived(Stopwatch.GetTimestamp());
            }
        }
        catch (SocketException ex)
        {
            End(Connector.Describe(ex.SocketErrorCode));
        }
        catch (ObjectDisposedException)
        {
            End("closed");
        }
        catch (TetherProtocolException ex)
        {
            Context.Stats.OnError();
            End("protocol-error-" + ex.Code.ToEventName());
        }
        catch (SendBacklogException)
        {
            End("send-backlog");
        }
        catch (Exception ex)
        {
            Context.Stats.OnError();
            End(ex is HandshakeException ? ex.Message : "error-" + ex.GetType().Name);
        }
    }

    private void HandleReceived(long now)
    {
        var consumed = Process(_receive, _receiveLength, now);
        if (consumed > 0)
        {
            ConsumeReceived(consumed);
        }

        if (Volatile.Read(ref _ended) == 0)
        {
            AfterBatch(now);
            Flush();
        }
    }

    private void RemoveSentLocked(int count)
    {
        if (count <= 0)
        {
            return;
        }

        Buffer.BlockCopy(_send, count, _send, 0, _sendLength - count);
        _sendLength -= count;
        Volatile.Write(ref _lastSent, Stopwatch.GetTimestamp());
    }

    private async Task FlushSlowAsync(Socket socket)
    {
        try
        {
            while (true)
            {
                byte[] buffer;
                int length;
                lock (_sendLock)
                {
                    if (_sendLength == 0 || Volatile.Read(ref _ended) != 0)
                    {
                        _flushing = false;
                        return;
                    }

                    // Writes made while this send runs land after `length` (or in a larger copy of the buffer), so the
                    // bytes being sent are never moved until the send completes.
                    buffer = _send;
                    length = _sendLength;
                }

                var sent = await socket.SendAsync(buffer.AsMemory(0, length), SocketFlags.None).ConfigureAwait(false);
                lock (_sendLock)
                {
                    RemoveSentLocked(sent);
                }
            }
        }
        catch (SocketException ex)
        {
            End(Connector.Describe(ex.SocketErrorCode));
        }
        catch (ObjectDisposedException)
        {
            End("closed");
        }
    }

    private void Abandon(Socket? socket)
    {
        _socket = null;
        socket?.Dispose();
    }

    /// <summary>The send buffer grew past its bound: the peer does not read.</summary>
    private sealed class SendBacklogException : Exception;
}

/// <summary>A handshake that did not end with the server's acceptance; the message is the failure reason.</summary>
internal sealed class HandshakeException(string reason, bool retry) : Exception(reason)
{
    /// <summary>True when another attempt may succeed.</summary>
    public bool Retry { get; } = retry;
}
