namespace Tether.Transport;

/// <summary>
/// TCP socket settings applied to every connection. The defaults favour finding a dead peer in bounded time:
/// the application heartbeat is the primary detector, TCP keepalive and TCP_USER_TIMEOUT are the safety net.
/// </summary>
public sealed class TcpOptions
{
    /// <summary>Disable Nagle's algorithm so small frames (pings, acks) leave at once. Default true.</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>Enable SO_KEEPALIVE. Setting the times below does nothing without it. Default true.</summary>
    public bool KeepAlive { get; set; } = true;

    /// <summary>Idle time before the first keepalive probe (TCP_KEEPIDLE). Default 60 s.</summary>
    public TimeSpan KeepAliveTime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Time between keepalive probes (TCP_KEEPINTVL). Default 10 s.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Unanswered probes before the kernel drops the connection (TCP_KEEPCNT). Default 3.</summary>
    public int KeepAliveRetryCount { get; set; } = 3;

    /// <summary>
    /// Linux TCP_USER_TIMEOUT: how long written data may stay unacknowledged before the kernel fails the connection, so
    /// a write to a vanished peer fails in bounded time instead of up to ~15-20 minutes. Zero leaves the system default.
    /// Default 30 s.
    /// </summary>
    public TimeSpan UserTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
