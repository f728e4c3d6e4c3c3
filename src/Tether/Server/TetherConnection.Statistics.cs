namespace Tether.Server;

public sealed partial class TetherConnection
{
    /// <summary>What went through this connection so far (counted per read, per network write and per message, at no allocation).</summary>
    public ConnectionStatistics Statistics =>
        new(_link.Transport.BytesReceived, _link.Transport.BytesSent, _link.MessagesReceived, _link.MessagesSent);
}
