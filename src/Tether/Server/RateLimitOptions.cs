namespace Tether.Server;

/// <summary>
/// Token-bucket limits on what peers may send: per connection, frames and bytes; per source address, new connections.
/// A connection over its frame or byte rate is closed with RATE_LIMITED (and a retry-after of one second); a connection
/// attempt over its address's rate is refused with RATE_LIMITED before any work is done for it. A zero rate turns a
/// limit off.
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>
    /// Frames of any kind (messages, heartbeats, acknowledgements) one connection may send per second on average.
    /// Default 100,000: well above what one client of a chat, push or telemetry service sends, yet it stops a single
    /// peer from taking a core's worth of the server.
    /// </summary>
    public double MessagesPerSecond { get; set; } = 100_000;

    /// <summary>Frames a connection may send at once above the average. Default: one second's worth.</summary>
    public int? MessageBurst { get; set; }

    /// <summary>Bytes one connection may send per second on average. Default 64 MiB.</summary>
    public double BytesPerSecond { get; set; } = 64 * 1024 * 1024;

    /// <summary>Bytes a connection may send at once above the average. Default: one second's worth.</summary>
    public int? ByteBurst { get; set; }

    /// <summary>
    /// New connections one source address may open per second (an IPv6 address counts by its /64, which one subscriber
    /// usually has whole). Default: no limit, because a carrier's NAT puts thousands of clients behind one address and
    /// their reconnects after a restart look like a flood.
    /// </summary>
    public double ConnectionsPerAddressPerSecond { get; set; }

    /// <summary>Connections an address may open at once above its rate. Default: one second's worth, at least 1.</summary>
    public int? ConnectionBurstPerAddress { get; set; }

    internal int MessageCapacity => Capacity(MessageBurst, MessagesPerSecond);

    internal int ByteCapacity => Capacity(ByteBurst, BytesPerSecond);

    internal int ConnectionCapacity => Capacity(ConnectionBurstPerAddress, ConnectionsPerAddressPerSecond);

    internal void Validate()
    {
        if (!IsRate(MessagesPerSecond) || !IsRate(BytesPerSecond) || !IsRate(ConnectionsPerAddressPerSecond))
        {
            throw new ArgumentException("rate limits must be finite and zero (no limit) or positive");
        }

        if (MessageBurst <= 0 || ByteBurst <= 0 || ConnectionBurstPerAddress <= 0)
        {
            throw new ArgumentException("rate-limit bursts must be positive");
        }
    }

    private static bool IsRate(double rate) => double.IsFinite(rate) && rate >= 0 && rate <= int.MaxValue;

    private static int Capacity(int? burst, double rate) => burst ?? (int)Math.Max(1, Math.Ceiling(rate));
}
