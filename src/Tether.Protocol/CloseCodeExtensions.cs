namespace Tether.Protocol;

/// <summary>What the protocol says a client should do after each <see cref="CloseCode"/>.</summary>
public static class CloseCodeExtensions
{
    /// <summary>
    /// Whether a client should reconnect after the server closed with <paramref name="code"/>. False for codes that
    /// cannot heal by retrying (version, credentials) and for deliberate closes.
    /// </summary>
    public static bool AllowsReconnect(this CloseCode code) => (ushort)code switch
    {
        (ushort)CloseCode.Normal => false,
        (ushort)CloseCode.UnsupportedVersion => false,
        (ushort)CloseCode.AuthFailed => false,
        (ushort)CloseCode.Replaced => false,
        (ushort)CloseCode.AuthExpired => false,
        >= 4500 and <= 4999 => false,
        _ => true,
    };

    /// <summary>The protocol name of a code, e.g. <c>HEARTBEAT_TIMEOUT</c>; application codes read <c>APPLICATION_4001</c>.</summary>
    public static string ToWireName(this CloseCode code) => code switch
    {
        CloseCode.Normal => "NORMAL",
        CloseCode.GoingAway => "GOING_AWAY",
        CloseCode.ProtocolError => "PROTOCOL_ERROR",
        CloseCode.UnsupportedVersion => "UNSUPPORTED_VERSION",
        CloseCode.FrameTooLarge => "FRAME_TOO_LARGE",
        CloseCode.HandshakeTimeout => "HANDSHAKE_TIMEOUT",
        CloseCode.HeartbeatTimeout => "HEARTBEAT_TIMEOUT",
        CloseCode.AuthFailed => "AUTH_FAILED",
        CloseCode.ServerBusy => "SERVER_BUSY",
        CloseCode.SlowConsumer => "SLOW_CONSUMER",
        CloseCode.Replaced => "REPLACED",
        CloseCode.InternalError => "INTERNAL_ERROR",
        CloseCode.RateLimited => "RATE_LIMITED",
        CloseCode.TooManyConnections => "TOO_MANY_CONNECTIONS",
        CloseCode.AuthExpired => "AUTH_EXPIRED",
        _ when (ushort)code is >= 4000 and <= 4999 => "APPLICATION_" + ((ushort)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => "UNKNOWN_" + ((ushort)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The kebab-case name used in logs and JSON events, e.g. <c>heartbeat-timeout</c>.</summary>
    public static string ToEventName(this CloseCode code) => code.ToWireName().Replace('_', '-').ToLowerInvariant();
}
