namespace Tether.Sessions;

/// <summary>
/// Reliable-session settings shared by clients and servers: how much may be sent and not yet acknowledged, and when
/// received messages are acknowledged. Sessions number every message, keep it until the peer acknowledges it, and
/// resend what the peer lacks after a reconnect, so nothing is lost, duplicated or reordered.
/// </summary>
public class SessionOptions
{
    /// <summary>Whether to use sessions (a client asks for one; a server grants them). Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Payload bytes a session may hold sent but not acknowledged (its replay buffer). When it is full, a client's
    /// <c>SendAsync</c> waits for acks; a server applies its slow-consumer policy. Default 4 MiB.
    /// </summary>
    public int MaxUnacknowledgedBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Acknowledge after this many received messages at the latest. Default 32.</summary>
    public int AckAfterMessages { get; set; } = 32;

    /// <summary>Acknowledge after this many received payload bytes at the latest. Default 64 KiB.</summary>
    public long AckAfterBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Acknowledge at the latest this long after the first unacknowledged message, when nothing else carried the ack.
    /// Default 200 ms. A server checks it on its timing wheel, so it is rounded up to the wheel tick.
    /// </summary>
    public TimeSpan AckDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    internal virtual void Validate()
    {
        if (MaxUnacknowledgedBytes <= 0 || AckAfterMessages <= 0 || AckAfterBytes <= 0)
        {
            throw new ArgumentException("session limits and ack thresholds must be positive");
        }

        if (AckDelay <= TimeSpan.Zero || AckDelay > TimeSpan.FromHours(1))
        {
            throw new ArgumentException("the ack delay must be positive and at most an hour");
        }
    }
}
