using System.Net;

namespace Tether.FaultProxy;

/// <summary>Settings for <see cref="TcpFaultProxy.Start"/>.</summary>
public sealed class FaultProxyOptions
{
    /// <summary>Where the proxy listens for clients. Defaults to 127.0.0.1 on a port chosen by the system.</summary>
    public IPEndPoint ListenEndPoint { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>Size of the buffer used for each read, in bytes. Defaults to 16 KiB.</summary>
    public int BufferSize { get; set; } = 16 * 1024;

    /// <summary>
    /// How long connecting to the target may take before the client's connection is reset. Defaults to 10 seconds.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
