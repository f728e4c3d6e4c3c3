using System.Net;
using System.Net.Sockets;

namespace Tether.LoadGen.Net;

/// <summary>Creates client sockets bound to the <c>--source</c> address and connects them.</summary>
internal static class Connector
{
    /// <summary>Attempts after the first one before a connection counts as failed.</summary>
    public const int Retries = 3;

    /// <summary>Time allowed for one TCP connect.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Time allowed for one handshake (HELLO to WELCOME, CONNECT to CONNACK).</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    // Linux IP_BIND_ADDRESS_NO_PORT (IPPROTO_IP level): bind() fixes only the address and leaves the port to connect(),
    // which picks one free for the 4-tuple; without it bind(addr, 0) reserves a port for all destinations and the
    // ephemeral range runs out twice as fast.
    private const int IpProtocolLevel = 0;
    private const int IpBindAddressNoPort = 24;

    /// <summary>Delay before retry number <paramref name="retry"/> (1-based): 100, 200, 400 ms.</summary>
    public static TimeSpan RetryDelay(int retry) => TimeSpan.FromMilliseconds(100 << Math.Min(retry - 1, 4));

    /// <summary>A TCP socket with Nagle off, bound to <paramref name="source"/> when one is given.</summary>
    public static Socket NewSocket(IPEndPoint target, IPAddress? source)
    {
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            if (source is not null)
            {
                if (OperatingSystem.IsLinux())
                {
                    Span<byte> on = [1, 0, 0, 0];
                    socket.SetRawSocketOption(IpProtocolLevel, IpBindAddressNoPort, on);
                }

                socket.Bind(new IPEndPoint(source, 0));
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>One connect attempt within <see cref="ConnectTimeout"/>; throws <see cref="SocketException"/> (TimedOut on timeout).</summary>
    public static async Task<Socket> ConnectAsync(IPEndPoint target, IPAddress? source, CancellationToken cancellationToken)
    {
        var socket = NewSocket(target, source);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ConnectTimeout);
            try
            {
                await socket.ConnectAsync(target, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new SocketException((int)SocketError.TimedOut);
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A short kebab-case name for a socket error, used as a failure or disconnect reason.</summary>
    public static string Describe(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connection-refused",
        SocketError.ConnectionReset => "connection-reset",
        SocketError.ConnectionAborted => "connection-aborted",
        SocketError.TimedOut => "timed-out",
        SocketError.AddressNotAvailable => "address-not-available",
        SocketError.AddressAlreadyInUse => "address-in-use",
        SocketError.TooManyOpenSockets => "too-many-open-files",
        SocketError.NoBufferSpaceAvailable => "no-buffer-space",
        SocketError.Shutdown => "shutdown",
        SocketError.OperationAborted => "aborted",
        SocketError.NetworkUnreachable => "network-unreachable",
        SocketError.HostUnreachable => "host-unreachable",
        _ => "socket-" + error.ToString().ToLowerInvariant(),
    };
}
