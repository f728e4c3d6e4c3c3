using System.Net;
using System.Net.Sockets;
using Tether.Heartbeat;
using Tether.Link;

namespace Tether.Server;

/// <summary>A bound listening socket with its settings resolved against the server's defaults.</summary>
internal sealed class ServerListener : IDisposable
{
    public ServerListener(ListenerOptions options, Socket socket, HeartbeatOptions heartbeat, int index)
    {
        Options = options;
        Socket = socket;
        Index = index;
        EndPoint = (IPEndPoint)socket.LocalEndPoint!;
        if (options.Framing is { } framing)
        {
            Plain = new PlainLinkSettings(
                framing,
                options.IdleTimeout ?? heartbeat.Timeout,
                options.ProbeInterval ?? heartbeat.Interval,
                options.Probe,
                options.PingMessage,
                options.PongMessage);
        }
    }

    public ListenerOptions Options { get; }

    public Socket Socket { get; }

    /// <summary>The endpoint actually bound (port 0 resolved).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Position among the server's listeners (a broadcast encodes once per listener).</summary>
    public int Index { get; }

    /// <summary>The plain framing's settings, or null for the Tether protocol.</summary>
    public PlainLinkSettings? Plain { get; }

    public void Dispose() => Socket.Dispose();
}
