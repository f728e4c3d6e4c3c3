using System.Net;

namespace Tether.Authentication;

/// <summary>What a client presented in its HELLO, for an <see cref="IConnectionAuthenticator"/>.</summary>
public sealed class AuthenticationRequest
{
    internal AuthenticationRequest(string? claimedClientId, ReadOnlyMemory<byte> token, EndPoint? remoteEndPoint)
    {
        ClaimedClientId = claimedClientId;
        Token = token;
        RemoteEndPoint = remoteEndPoint;
    }

    /// <summary>The client id the peer claims (null when it sent none). Merely claimed: not proof of anything.</summary>
    public string? ClaimedClientId { get; }

    /// <summary>The opaque credentials of the HELLO (empty when it sent none).</summary>
    public ReadOnlyMemory<byte> Token { get; }

    /// <summary>Where the connection comes from.</summary>
    public EndPoint? RemoteEndPoint { get; }
}
