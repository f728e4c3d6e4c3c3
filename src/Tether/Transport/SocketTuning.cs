using System.Net.Sockets;

namespace Tether.Transport;

/// <summary>Applies <see cref="TcpOptions"/> to a connected socket.</summary>
internal static class SocketTuning
{
    // Linux: IPPROTO_TCP = 6, TCP_USER_TIMEOUT = 18 (milliseconds). .NET has no named option for it.
    private const int IpProtoTcp = 6;
    private const int TcpUserTimeout = 18;

    public static void Apply(Socket socket, TcpOptions options)
    {
        socket.NoDelay = options.NoDelay;
        if (options.KeepAlive)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, Seconds(options.KeepAliveTime));
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, Seconds(options.KeepAliveInterval));
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, Math.Max(1, options.KeepAliveRetryCount));
        }

        if (OperatingSystem.IsLinux() && options.UserTimeout > TimeSpan.Zero)
        {
            Span<byte> value = stackalloc byte[sizeof(int)];
            BitConverter.TryWriteBytes(value, (int)Math.Min(int.MaxValue, options.UserTimeout.TotalMilliseconds));
            socket.SetRawSocketOption(IpProtoTcp, TcpUserTimeout, value);
        }
    }

    /// <summary>Reads TCP_USER_TIMEOUT back (milliseconds), for tests and diagnostics; -1 where unsupported.</summary>
    public static int ReadUserTimeoutMs(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }

        Span<byte> value = stackalloc byte[sizeof(int)];
        return socket.GetRawSocketOption(IpProtoTcp, TcpUserTimeout, value) == sizeof(int) ? BitConverter.ToInt32(value) : -1;
    }

    private static int Seconds(TimeSpan time) => (int)Math.Max(1, Math.Ceiling(time.TotalSeconds));
}
