using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Tether.Diagnostics;

namespace Tether.Transport.Portable;

/// <summary>
/// The transport wherever the readiness engine is not used (not Linux, <see cref="TransportKind.Portable"/>, or after
/// the engine failed): the runtime's non-blocking <see cref="Socket"/>, waiting for input with one zero-byte receive,
/// which holds no buffer while the connection is idle.
/// </summary>
internal sealed class PortableTransport : PlainSocketTransport
{
    private readonly Socket _socket;
    private ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter _wait;
    private Action? _onWaitCompleted;
    private int _waiting;

    public PortableTransport(Socket socket, int maxReceiveBuffer, TetherMetrics metrics)
        : base(PeerAddress.From(socket.RemoteEndPoint), maxReceiveBuffer, metrics)
    {
        _socket = socket;
        socket.Blocking = false;
    }

    public override Socket Socket => _socket;

    protected override SocketError ReceiveCore(Memory<byte> buffer, out int read)
    {
        read = _socket.Receive(buffer.Span, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock)
        {
            WaitForInput();
        }

        return error;
    }

    internal override bool PeekReady()
    {
        Span<byte> one = stackalloc byte[1];
        SocketError error;
        try
        {
            _socket.Receive(one, SocketFlags.Peek, out error);
        }
        catch (ObjectDisposedException)
        {
            // Closed: the next receive says so.
            return true;
        }

        if (error == SocketError.WouldBlock)
        {
            WaitForInput();
            return false;
        }

        // Bytes, the end of the stream or an error: the next receive returns at once either way.
        return true;
    }

    protected override SocketError TrySend(ReadOnlySpan<byte> data, out int written)
    {
        written = _socket.Send(data, SocketFlags.None, out var error);
        return error;
    }

    protected override void ShutdownCore(SocketShutdown how) => _socket.Shutdown(how);

    protected override void CloseCore() => _socket.Dispose();

    /// <summary>Starts one zero-byte receive (unless one is pending) that signals when it completes.</summary>
    private void WaitForInput()
    {
        if (Interlocked.Exchange(ref _waiting, 1) != 0)
        {
            return;
        }

        try
        {
#pragma warning disable CA2012 // Consumed exactly once, by OnWaitCompleted's GetResult.
            _wait = _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false).GetAwaiter();
#pragma warning restore CA2012
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The next receive reports what went wrong.
            Volatile.Write(ref _waiting, 0);
            Signal();
            return;
        }

        if (_wait.IsCompleted)
        {
            OnWaitCompleted();
        }
        else
        {
            _wait.UnsafeOnCompleted(_onWaitCompleted ??= OnWaitCompleted);
        }
    }

    private void OnWaitCompleted()
    {
        try
        {
            _wait.GetResult();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The next receive reports what went wrong.
        }

        _wait = default;
        Volatile.Write(ref _waiting, 0);
        Signal();
    }
}
