using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Tether.Diagnostics;

namespace Tether.Transport.Tls;

/// <summary>
/// TLS in process: an <see cref="SslStream"/> directly over the connection's socket transport (epoll or portable,
/// through a <see cref="TransportStream"/>), one descriptor per connection, wherever <see cref="SslStream"/> works.
/// Reads follow the same never-wait contract as a plain socket: a zero-byte TLS read waits for a record (holding no
/// buffer, here or in the <see cref="SslStream"/>), and once it completes the real read returns the decrypted bytes at
/// once. Writes are encrypted on the draining thread. The <see cref="SslStream"/> is disposed only once no handshake, read,
/// wait or write is using it: a close from another thread never frees what a running operation still touches.
/// </summary>
#pragma warning disable CA1001 // A transport's resources end with Abort (CloseCore), like every transport's socket.
internal sealed class TlsTransport : SocketTransport
#pragma warning restore CA1001
{
    private readonly PlainSocketTransport _socket;
    private readonly SslStream _tls;
    private readonly SslServerAuthenticationOptions? _serverOptions;
    private ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter _wait;
    private Action? _onWaitCompleted;
    private Exception? _waitFailure;
    private int _waiting;
    private int _users;
    private int _closed;
    private int _disposed;
    private volatile bool _authenticated;
    private volatile bool _handshakeFailed;

    /// <param name="socket">The connection's socket transport, which this one owns from now on.</param>
    /// <param name="serverOptions">For a server connection, what <see cref="OpenAsync"/> authenticates with; null for a client.</param>
    /// <param name="maxReceiveBuffer">The receive buffer's largest size.</param>
    /// <param name="metrics">Where send and receive figures (of plaintext) go.</param>
    public TlsTransport(PlainSocketTransport socket, SslServerAuthenticationOptions? serverOptions, int maxReceiveBuffer, TetherMetrics metrics)
        : base(socket.Remote, maxReceiveBuffer, metrics)
    {
        _socket = socket;
        _serverOptions = serverOptions;
        _tls = new SslStream(new TransportStream(socket), leaveInnerStreamOpen: true);
    }

    public override Socket Socket => _socket.Socket;

    public override bool UsesReadinessEngine => _socket.UsesReadinessEngine;

    public override bool HasSocketObject => _socket.HasSocketObject;

    /// <summary>The protocol agreed (after the handshake).</summary>
    public System.Security.Authentication.SslProtocols Protocol => _tls.SslProtocol;

    /// <summary>The server's TLS handshake (the caller bounds it; aborting the transport ends it).</summary>
    public override async Task OpenAsync(CancellationToken cancellationToken)
    {
        if (_serverOptions is null)
        {
            throw new InvalidOperationException("a client's TLS transport is opened with AuthenticateAsClientAsync");
        }

        EnterOrThrow();
        try
        {
            await _tls.AuthenticateAsServerAsync(_serverOptions, cancellationToken).ConfigureAwait(false);
            OpenSslRecordBuffers.TryRelease(_tls);
        }
        catch
        {
            // From here on the transport carries the raw bytes, so that the close can read what the peer still sends.
            _handshakeFailed = true;
            throw;
        }
        finally
        {
            Exit();
        }

        _authenticated = true;
    }

    /// <summary>The client's TLS handshake: throws <see cref="System.Security.Authentication.AuthenticationException"/> or an I/O error when it fails.</summary>
    public async Task AuthenticateAsClientAsync(SslClientAuthenticationOptions options, CancellationToken cancellationToken)
    {
        EnterOrThrow();
        try
        {
            await _tls.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            OpenSslRecordBuffers.TryRelease(_tls);
        }
        finally
        {
            Exit();
        }

        _authenticated = true;
    }

    protected override SocketError ReceiveCore(Memory<byte> buffer, out int read)
    {
        read = 0;
        if (Interlocked.Exchange(ref _waitFailure, null) is { } failure)
        {
            throw failure as IOException ?? new IOException(failure.Message, failure);
        }

        if (!_authenticated)
        {
            return _handshakeFailed ? _socket.ReceiveRaw(buffer, out read) : throw new IOException("the TLS handshake has not completed");
        }

        if (Volatile.Read(ref _waiting) != 0)
        {
            return SocketError.WouldBlock;
        }

        EnterOrThrow();
        try
        {
            var ready = _tls.ReadAsync(Memory<byte>.Empty);
            if (!ready.IsCompleted)
            {
                Wait(ready);
                return SocketError.WouldBlock;
            }

            ready.GetAwaiter().GetResult();

            // A zero-byte read completes once a record is decrypted (or at the end of the stream); the read that follows
            // is then served from the SslStream's buffer without touching the socket.
            var data = _tls.ReadAsync(buffer);
            if (!data.IsCompleted)
            {
                throw new IOException("TLS read would wait after a completed zero-byte read");
            }

            read = data.GetAwaiter().GetResult();
            return SocketError.Success;
        }
        finally
        {
            Exit();
        }
    }

    protected override ValueTask SendCoreAsync(ReadOnlyMemory<byte> data)
    {
        if (!_authenticated)
        {
            throw new IOException("the TLS handshake has not completed");
        }

        EnterOrThrow();
        ValueTask write;
        try
        {
            write = _tls.WriteAsync(data);
        }
        catch
        {
            Exit();
            throw;
        }

        if (write.IsCompletedSuccessfully)
        {
            Exit();
            return default;
        }

        return AwaitThenExitAsync(write);
    }

    protected override async ValueTask ShutdownSendCoreAsync()
    {
        if (_authenticated)
        {
            EnterOrThrow();
            try
            {
                await _tls.ShutdownAsync().ConfigureAwait(false);
            }
            finally
            {
                Exit();
            }
        }

        _socket.ShutdownRaw(SocketShutdown.Send);
    }

    protected override void ShutdownCore(SocketShutdown how) => _socket.Shutdown();

    protected override void CloseCore()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        // Whatever is still running fails on the aborted socket and, leaving last, disposes.
        _socket.Abort();
        Interlocked.Increment(ref _users);
        Exit();
    }

    /// <summary>Counts one more operation on the <see cref="SslStream"/>; throws once the transport is closed.</summary>
    private void EnterOrThrow()
    {
        Interlocked.Increment(ref _users);
        if (Volatile.Read(ref _closed) != 0)
        {
            Exit();
            throw new ObjectDisposedException(nameof(TlsTransport), "the connection is closed");
        }
    }

    /// <summary>Ends an operation; the last one out after the close disposes the <see cref="SslStream"/>.</summary>
    private void Exit()
    {
        if (Interlocked.Decrement(ref _users) == 0 && Volatile.Read(ref _closed) != 0
            && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _tls.Dispose();
        }
    }

    private async ValueTask AwaitThenExitAsync(ValueTask write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        finally
        {
            Exit();
        }
    }

    private void Wait(ValueTask<int> ready)
    {
        Interlocked.Increment(ref _users);
        Volatile.Write(ref _waiting, 1);
        _wait = ready.ConfigureAwait(false).GetAwaiter();
        _wait.UnsafeOnCompleted(_onWaitCompleted ??= OnWaitCompleted);
    }

    private void OnWaitCompleted()
    {
        try
        {
            _wait.GetResult();
        }
#pragma warning disable CA1031 // Whatever ended the read is the connection's failure, reported by the next receive.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Volatile.Write(ref _waitFailure, ex);
        }

        _wait = default;
        Volatile.Write(ref _waiting, 0);
        Exit();
        Signal();
    }
}
