using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;

namespace Tether.Transport.Tls;

/// <summary>
/// Carries one connection's bytes between the network socket, through an <see cref="SslStream"/>, and one end of a
/// <see cref="SocketPair"/> whose other end the <see cref="SocketTransport"/> reads and writes as if it were the peer.
/// Everything above the transport is the same with and without TLS; the price is one local socket pair and a copy of
/// each byte, which TLS's own encryption dwarfs. Closing either side closes the other: an end of stream is passed on
/// (TLS close_notify and a FIN one way, a FIN the other), an error or reset closes everything.
/// </summary>
internal sealed class TlsTunnel : IDisposable
{
    // The largest plaintext of one TLS record: one read of the SslStream never returns more.
    private const int ChunkSize = 16 * 1024;

    private readonly Socket _network;
    private readonly Socket _local;
    private readonly SslStream _tls;
    private readonly TimeProvider _time;
    private readonly TimeSpan _linger;
    private int _closed;

    private TlsTunnel(Socket network, Socket local, TimeProvider time, TimeSpan linger)
    {
        _network = network;
        _local = local;
        _time = time;
        _linger = linger;
        _tls = new SslStream(new NetworkStream(network, ownsSocket: true), leaveInnerStreamOpen: false);
    }

    /// <summary>The protocol agreed (after the handshake).</summary>
    public System.Security.Authentication.SslProtocols Protocol => _tls.SslProtocol;

    /// <summary>
    /// Server side: a tunnel for <paramref name="network"/> and, in <paramref name="transportEnd"/>, the socket for the
    /// transport. Nothing runs until <see cref="Start"/>, so the caller can read the network socket's endpoints first.
    /// </summary>
    public static TlsTunnel ForServer(Socket network, TimeProvider time, TimeSpan linger, out Socket transportEnd)
    {
        (transportEnd, var local) = SocketPair.Create();
        return new TlsTunnel(network, local, time, linger);
    }

    /// <summary>
    /// Starts the TLS handshake and then the pumping, in the background. If the transport closes its end first (the
    /// handshake timeout, the server stopping), the handshake is abandoned. <paramref name="failed"/> is told when the
    /// handshake fails.
    /// </summary>
    public void Start(SslServerAuthenticationOptions options, Action<Exception>? failed) => _ = RunServerAsync(options, failed);

    /// <summary>
    /// Client side: completes the TLS handshake (throwing <see cref="System.Security.Authentication.AuthenticationException"/>
    /// or an I/O error when it fails), then returns the end for the transport while the pumping runs in the background.
    /// </summary>
    public static async Task<Socket> ConnectClientAsync(Socket network, SslClientAuthenticationOptions options, TimeProvider time, TimeSpan linger, CancellationToken cancellationToken)
    {
        var (transportEnd, local) = SocketPair.Create();
        var tunnel = new TlsTunnel(network, local, time, linger);
        try
        {
            await tunnel._tls.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            tunnel.Close();
            transportEnd.Dispose();
            throw;
        }

        _ = tunnel.PumpAsync(tunnel.WaitLocalReadableAsync());
        return transportEnd;
    }

    private async Task RunServerAsync(SslServerAuthenticationOptions options, Action<Exception>? failed)
    {
        // Before HELLO is read the transport sends nothing, so its end turning readable means it closed.
        var localReadable = WaitLocalReadableAsync();
        var handshake = _tls.AuthenticateAsServerAsync(options);
        var abandoned = false;
        try
        {
            if (await Task.WhenAny(handshake, localReadable).ConfigureAwait(false) != handshake)
            {
                abandoned = true;
                Close();
            }

            await handshake.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Close();
            if (!abandoned)
            {
                failed?.Invoke(ex);
            }

            return;
        }

        await PumpAsync(localReadable).ConfigureAwait(false);
    }

    /// <summary>Completes when the transport's end has something to read or has closed (which the next read tells apart).</summary>
    private async Task WaitLocalReadableAsync()
    {
        try
        {
            await _local.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
        }
    }

    private async Task PumpAsync(Task localReadable)
    {
        try
        {
            await Task.WhenAll(PumpInboundAsync(), PumpOutboundAsync(localReadable)).ConfigureAwait(false);
        }
        finally
        {
            // Whatever ended the pumps, neither socket outlives them.
            Close();
        }
    }

    /// <summary>Peer → transport. Between arrivals it waits with a zero-byte read: an idle connection holds no buffer.</summary>
    private async Task PumpInboundAsync()
    {
        try
        {
            while (true)
            {
                await _tls.ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
                try
                {
                    var read = await _tls.ReadAsync(buffer.AsMemory(0, ChunkSize)).ConfigureAwait(false);
                    if (read == 0)
                    {
                        _local.Shutdown(SocketShutdown.Send);
                        return;
                    }

                    await SendAllAsync(_local, buffer.AsMemory(0, read)).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            Close();
        }
    }

    /// <summary>Transport → peer. At the transport's end of stream: TLS close_notify, a FIN, and the linger for the peer's.</summary>
    private async Task PumpOutboundAsync(Task localReadable)
    {
        try
        {
            await localReadable.ConfigureAwait(false);
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
                try
                {
                    var read = await _local.ReceiveAsync(buffer.AsMemory(0, ChunkSize), SocketFlags.None).ConfigureAwait(false);
                    if (read == 0)
                    {
                        await _tls.ShutdownAsync().ConfigureAwait(false);
                        _network.Shutdown(SocketShutdown.Send);
                        _ = CloseAfterLingerAsync();
                        return;
                    }

                    await _tls.WriteAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                await _local.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            Close();
        }
    }

    private async Task CloseAfterLingerAsync()
    {
        // The transport has finished; a peer that never closes its side must not keep the network socket forever.
        await Task.Delay(_linger, _time).ConfigureAwait(false);
        Close();
    }

    private static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    private static bool IsConnectionFailure(Exception ex) =>
        ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException or System.Security.Authentication.AuthenticationException;

    /// <summary>Closes both sides at once (the pumps end by themselves otherwise).</summary>
    public void Dispose() => Close();

    private void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _tls.Dispose();
        _local.Dispose();
    }
}
