using System.Text;
using Microsoft.Extensions.Time.Testing;
using Tether.Authentication;
using Tether.Client;
using Tether.Protocol;
using Tether.Tests.Support;

namespace Tether.Tests.Authentication;

/// <summary>A server with an authenticator: who gets in, under which id, and how the others are turned away.</summary>
public class AuthenticationTests
{
    private static readonly byte[] Secret = "server secret, 32 bytes long...!"u8.ToArray();

    [Fact]
    public async Task A_valid_token_connects_under_its_own_client_id_not_the_claimed_one()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await ServerFixture.StartAsync(o => o.Authenticator = new SignedTokenAuthenticator(Secret, time));
        var token = Encoding.ASCII.GetBytes(SignedToken.Create(Secret, "sensor-42", time.GetUtcNow().AddHours(1)));

        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { ClientId = "admin", Token = token });
        await using var __ = peer;

        var connection = await server.Handler.NextConnectedAsync();
        Assert.Equal("sensor-42", connection.ClientId);
    }

    [Theory]
    [InlineData("missing", CloseCode.AuthFailed)]
    [InlineData("tampered", CloseCode.AuthFailed)]
    [InlineData("expired", CloseCode.AuthExpired)]
    public async Task A_bad_token_is_closed_with_its_code_before_any_welcome(string kind, CloseCode expected)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await ServerFixture.StartAsync(o => o.Authenticator = new SignedTokenAuthenticator(Secret, time));
        var valid = SignedToken.Create(Secret, "sensor-42", time.GetUtcNow().AddMinutes(1));
        var token = kind switch
        {
            "missing" => [],
            "tampered" => Encoding.ASCII.GetBytes(valid.Replace("v1.", "v1.A", StringComparison.Ordinal)),
            _ => Encoding.ASCII.GetBytes(valid),
        };
        if (kind == "expired")
        {
            time.Advance(TimeSpan.FromMinutes(2));
        }

        await using var peer = await RawPeer.ConnectAsync(server.EndPoint);
        await peer.SendAsync(w => new HelloFrame { ClientId = "sensor-42", Token = token }.Write(w));

        var close = await peer.ReadUntilCloseAsync();
        Assert.Equal(expected, close?.Code);
        Assert.Equal(0, server.Server.Connections.Count(c => c.ClientId is not null));
    }

    [Fact]
    public async Task A_client_with_a_rejected_token_does_not_retry_and_says_why()
    {
        await using var server = await ServerFixture.StartAsync(o => o.Authenticator = new SignedTokenAuthenticator(Secret));
        var options = ClientFactory.Options(server.EndPoint);
        options.Token = Encoding.ASCII.GetBytes(SignedToken.Create("a different secret, 16+ bytes"u8, "c", DateTimeOffset.UtcNow.AddHours(1)));
        await using var client = new TetherClient(options);
        var states = new StateRecorder(client);

        var error = await Assert.ThrowsAsync<TetherException>(() => client.ConnectAsync());

        Assert.Equal(CloseCode.AuthFailed, error.Code);
        Assert.Contains("signature", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, states.Count(ClientState.Reconnecting));
    }

    [Fact]
    public async Task An_authenticator_that_throws_refuses_the_client_and_the_server_carries_on()
    {
        await using var server = await ServerFixture.StartAsync(o => o.Authenticator = new ThrowingAuthenticator());
        await using var peer = await RawPeer.ConnectAsync(server.EndPoint);

        await peer.SendAsync(w => new HelloFrame { ClientId = "x" }.Write(w));

        Assert.Equal(CloseCode.AuthFailed, (await peer.ReadUntilCloseAsync())?.Code);
    }

    private sealed class ThrowingAuthenticator : IConnectionAuthenticator
    {
        public ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("the user store is down");
    }
}
