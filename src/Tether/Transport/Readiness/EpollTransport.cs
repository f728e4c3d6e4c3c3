using System.Net.Sockets;
using Tether.Diagnostics;

namespace Tether.Transport.Readiness;

/// <summary>
/// The transport on Linux: the socket is registered, edge-triggered, with a <see cref="ReadinessEngine"/> and read and
/// written with non-blocking <c>recv</c>/<c>send</c> on its handle (<see cref="SocketSyscalls"/>). The accepted
/// <see cref="System.Net.Sockets.Socket"/> object is not kept; one is created over the handle only when something asks
/// (socket options, an asynchronous send to a slow reader). An idle connection is a descriptor, a slot in the engine's
/// table and this object.
/// </summary>
internal sealed class EpollTransport : PlainSocketTransport
{
    private readonly SafeSocketHandle _handle;
    private readonly long _registration;
    private Socket? _socket;

    // Edge triggering reports every arrival, so after a receive that got less than it asked for the socket is known to
    // be empty until the next report: the receive that would only find EAGAIN is skipped (one system call of the four a
    // heartbeat costs). Never after a hang-up, whose end of stream must still be read.
    private volatile bool _knownEmpty;
    private volatile bool _hungUp;
    private volatile int _engineError;

    public EpollTransport(Socket socket, ReadinessEngine engine, int maxReceiveBuffer, TetherMetrics metrics)
        : base(PeerAddress.From(socket.RemoteEndPoint), maxReceiveBuffer, metrics)
    {
        _handle = socket.SafeHandle;

        // Everything goes through the handle from here on: the Socket object (112 bytes) is not kept. Its finalizer
        // would close the handle, which now belongs to this transport.
#pragma warning disable CA1816 // Not a Dispose pattern: ownership of the handle moves from the Socket to this transport.
        GC.SuppressFinalize(socket);
#pragma warning restore CA1816
        SocketSyscalls.SetNonBlocking(_handle);
        _registration = engine.Register(_handle, this);
    }

    public override bool UsesReadinessEngine => true;

    public override bool HasSocketObject => Volatile.Read(ref _socket) is not null;

    public override Socket Socket
    {
        get
        {
            if (_socket is { } socket)
            {
                return socket;
            }

            // Created over our handle, so it must not close it when collected (the handle closes in CloseCore).
            var created = new Socket(_handle);
#pragma warning disable CA1816 // Not a Dispose pattern: the handle belongs to this transport, not to the view over it.
            GC.SuppressFinalize(created);
#pragma warning restore CA1816
            Interlocked.CompareExchange(ref _socket, created, null);
            return _socket!;
        }
    }

    protected override bool IsKnownEmpty => _knownEmpty;

    /// <summary>From the engine's thread: bytes, a hang-up or an error (<paramref name="hungUp"/>) were reported.</summary>
    public void OnReadable(bool hungUp)
    {
        if (hungUp)
        {
            _hungUp = true;
        }

        _knownEmpty = false;
        Signal();
    }

    /// <summary>From the engine's thread, once: the engine stopped, so nothing will report on this socket again.</summary>
    public void OnEngineFailed(int errno)
    {
        _engineError = errno;
        _knownEmpty = false;
        Signal();
    }

    protected override SocketError ReceiveCore(Memory<byte> buffer, out int read)
    {
        ThrowIfEngineFailed();
        var error = SocketSyscalls.Receive(_handle, buffer.Span, out read);
        _knownEmpty = error == SocketError.Success && read > 0 && read < buffer.Length && !_hungUp;
        return error;
    }

    internal override bool PeekReady()
    {
        if (_engineError != 0)
        {
            return true;
        }

        if (_knownEmpty)
        {
            return false;
        }

        try
        {
            var error = SocketSyscalls.Peek(_handle, out var ready);
            return ready || error != SocketError.Success;
        }
        catch (ObjectDisposedException)
        {
            // Closed: the next receive says so.
            return true;
        }
    }

    protected override SocketError TrySend(ReadOnlySpan<byte> data, out int written) =>
        SocketSyscalls.Send(_handle, data, out written);

    protected override void ShutdownCore(SocketShutdown how) => SocketSyscalls.Shutdown(_handle, how);

    protected override void CloseCore()
    {
        // Not through a Socket created over the handle: disposing one of those closes abortively (RST), and the peer
        // would lose what it had not read yet.
        _handle.Dispose();
        ReadinessEngine.UnregisterAny(_registration);
    }

    protected override void OnRememberedSignal() => _knownEmpty = false;

    protected override void OnHungUp()
    {
        _hungUp = true;
        _knownEmpty = false;
    }

    private void ThrowIfEngineFailed()
    {
        if (_engineError != 0)
        {
            throw new IOException(ReadinessEngine.FailureMessage(_engineError));
        }
    }
}
