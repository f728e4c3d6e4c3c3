using System.Globalization;
using Tether.Protocol;

namespace Tether;

/// <summary>What ended a connection: a reason, the close code on the wire (if any), and a one-line description.</summary>
public sealed record DisconnectInfo(DisconnectReason Reason, CloseCode? Code, string Description, Exception? Exception = null)
{
    /// <summary>The retry-after hint the server sent with CLOSE or GOAWAY, if any.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The endpoints the server's CLOSE or GOAWAY suggested trying next, in order (empty when none).</summary>
    internal IReadOnlyList<System.Net.EndPoint> AlternateEndPoints { get; init; } = [];

    /// <summary>The kebab-case reason used in logs and JSON events, e.g. <c>heartbeat-timeout</c>.</summary>
    public string ReasonName => Reason switch
    {
        DisconnectReason.ConnectionLost => "connection-lost",
        DisconnectReason.HeartbeatTimeout => "heartbeat-timeout",
        DisconnectReason.HandshakeTimeout => "handshake-timeout",
        DisconnectReason.HandshakeRejected => "handshake-rejected",
        DisconnectReason.ProtocolError => "protocol-error",
        DisconnectReason.ClosedByPeer => "closed-by-peer",
        DisconnectReason.ClosedLocally => "closed",
        DisconnectReason.GoingAway => "going-away",
        DisconnectReason.SlowConsumer => "slow-consumer",
        DisconnectReason.Replaced => "replaced",
        DisconnectReason.ApplicationError => "application-error",
        DisconnectReason.RateLimited => "rate-limited",
        _ => Reason.ToString(),
    };

    /// <summary>True when a client should try again after this (see the close-code table of the protocol).</summary>
    public bool AllowsReconnect => Reason switch
    {
        DisconnectReason.ClosedLocally => false,
        _ => Code is not { } code || code.AllowsReconnect(),
    };

    /// <summary>One line for logs.</summary>
    public override string ToString() => Code is { } code
        ? string.Create(CultureInfo.InvariantCulture, $"{ReasonName} ({(ushort)code} {code.ToWireName()}): {Description}")
        : $"{ReasonName}: {Description}";

    /// <summary>A CLOSE that could not be decoded: a protocol error with no code, since none was received or sent.</summary>
    internal static DisconnectInfo MalformedClose(string problem) =>
        new(DisconnectReason.ProtocolError, null, $"malformed CLOSE from the peer: {problem}");

    internal static DisconnectInfo FromCloseFrame(CloseFrame frame)
    {
        var reason = frame.Code switch
        {
            CloseCode.HeartbeatTimeout => DisconnectReason.HeartbeatTimeout,
            CloseCode.HandshakeTimeout => DisconnectReason.HandshakeTimeout,
            CloseCode.ProtocolError or CloseCode.FrameTooLarge => DisconnectReason.ProtocolError,
            CloseCode.GoingAway => DisconnectReason.GoingAway,
            CloseCode.SlowConsumer => DisconnectReason.SlowConsumer,
            CloseCode.Replaced => DisconnectReason.Replaced,
            CloseCode.RateLimited => DisconnectReason.RateLimited,
            CloseCode.UnsupportedVersion or CloseCode.AuthFailed or CloseCode.AuthExpired or CloseCode.ServerBusy or CloseCode.TooManyConnections => DisconnectReason.HandshakeRejected,
            _ => DisconnectReason.ClosedByPeer,
        };
        var description = frame.Reason.Length > 0 ? frame.Reason : frame.Code.ToWireName();
        return new DisconnectInfo(reason, frame.Code, description)
        {
            RetryAfter = frame.RetryAfterMs > 0 ? TimeSpan.FromMilliseconds(frame.RetryAfterMs) : null,
            AlternateEndPoints = AlternateEndpoints.From(frame.Extensions),
        };
    }
}
