namespace Tether.Authentication;

/// <summary>
/// Decides from a client's HELLO whether it may connect, and under which client id. Set one on
/// <see cref="Server.TetherServerOptions.Authenticator"/>; without one every client is let in under the id it claims.
/// Called once per handshake, inside the handshake timeout, before any session is touched.
/// </summary>
public interface IConnectionAuthenticator
{
    /// <summary>
    /// Judges <paramref name="request"/>. A rejection closes the connection with <c>AUTH_FAILED</c> (1007), an expiry
    /// with <c>AUTH_EXPIRED</c> (1014); clients do not retry either. <see cref="AuthenticationResult.Unavailable"/> (no
    /// verdict for now) closes with <c>SERVER_BUSY</c> (1008) and a retry hint: clients come back with backoff. An
    /// exception counts as a rejection.
    /// </summary>
    ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken);
}
