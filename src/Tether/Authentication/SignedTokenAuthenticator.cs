namespace Tether.Authentication;

/// <summary>
/// The built-in <see cref="IConnectionAuthenticator"/>: every client must present a <see cref="SignedToken"/> made with
/// the same secret and not yet expired, and connects under the client id the token carries, never the one it claims.
/// </summary>
public sealed class SignedTokenAuthenticator : IConnectionAuthenticator
{
    private readonly byte[] _secret;
    private readonly TimeProvider _time;

    /// <summary>Checks tokens against <paramref name="secret"/> (at least <see cref="SignedToken.MinSecretLength"/> bytes).</summary>
    public SignedTokenAuthenticator(ReadOnlySpan<byte> secret, TimeProvider? timeProvider = null)
    {
        SignedToken.ValidateSecret(secret);
        _secret = secret.ToArray();
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ValueTask.FromResult(SignedToken.Verify(_secret, request.Token.Span, _time.GetUtcNow()));
    }
}
