using Tether.Protocol;

namespace Tether.Authentication;

/// <summary>The verdict of an <see cref="IConnectionAuthenticator"/>.</summary>
public sealed class AuthenticationResult
{
    private AuthenticationResult(bool accepted, string? clientId, CloseCode code, string reason)
    {
        IsAccepted = accepted;
        ClientId = clientId;
        Code = code;
        Reason = reason;
    }

    /// <summary>True when the client may connect.</summary>
    public bool IsAccepted { get; }

    /// <summary>The client id the connection gets when accepted (null: anonymous).</summary>
    public string? ClientId { get; }

    /// <summary>
    /// The close code of a refusal: <see cref="CloseCode.AuthFailed"/>, <see cref="CloseCode.AuthExpired"/>, or
    /// <see cref="CloseCode.ServerBusy"/> when the verdict could not be reached (<see cref="Unavailable"/>).
    /// </summary>
    public CloseCode Code { get; }

    /// <summary>Why, in a few words; sent to the client in the CLOSE frame and logged.</summary>
    public string Reason { get; }

    /// <summary>How long the client should wait before trying again (sent as the CLOSE's retry hint); null: no hint.</summary>
    public TimeSpan? RetryAfter { get; private init; }

    /// <summary>Lets the client in as <paramref name="clientId"/>, whatever id it claimed.</summary>
    public static AuthenticationResult Accept(string? clientId) => new(true, clientId, CloseCode.Normal, "accepted");

    /// <summary>Refuses the client: closed with <c>AUTH_FAILED</c>.</summary>
    public static AuthenticationResult Reject(string reason) => new(false, null, CloseCode.AuthFailed, reason);

    /// <summary>Refuses expired credentials: closed with <c>AUTH_EXPIRED</c>.</summary>
    public static AuthenticationResult Expired(string reason) => new(false, null, CloseCode.AuthExpired, reason);

    /// <summary>
    /// No verdict could be reached (the credentials service is down or slow): the client is refused for now, closed with
    /// <c>SERVER_BUSY</c> and <paramref name="retryAfter"/> as its retry hint, so it comes back later with backoff.
    /// </summary>
    public static AuthenticationResult Unavailable(string reason, TimeSpan retryAfter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retryAfter, TimeSpan.Zero);
        return new(false, null, CloseCode.ServerBusy, reason) { RetryAfter = retryAfter };
    }
}
