using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Tether.Authentication;
using Tether.Hosting.Auth;
using Tether.Protocol;

namespace Tether.Hosting.Tests;

/// <summary>Connect authorisation without a network: the answer's contract, the cache, the settings.</summary>
public class AuthUnitTests
{
    [Theory]
    [InlineData("""{"allow": true, "clientId": "u1"}""", true, "u1")]
    [InlineData("""{"allow": true}""", true, "claimed")]
    [InlineData("""{"allow": false, "reason": "no"}""", false, null)]
    public void Answers_that_follow_the_contract(string body, bool accepted, string? clientId)
    {
        var verdict = AuthRequestBody.Read(Encoding.UTF8.GetBytes(body), "claimed", out _);

        Assert.NotNull(verdict);
        Assert.Equal(accepted, verdict.IsAccepted);
        Assert.Equal(clientId, verdict.ClientId);
        Assert.Equal(accepted ? CloseCode.Normal : CloseCode.AuthFailed, verdict.Code);
    }

    [Theory]
    [InlineData("""{"allow": "yes"}""")]
    [InlineData("""{"clientId": "u1"}""")]
    [InlineData("""{"allow": true, "clientId": 5}""")]
    [InlineData("not json")]
    public void Answers_off_the_contract_are_no_verdict(string body)
    {
        Assert.Null(AuthRequestBody.Read(Encoding.UTF8.GetBytes(body), "claimed", out var problem));
        Assert.NotEmpty(problem);
    }

    [Fact]
    public void Cached_answers_expire_and_the_cache_stays_bounded()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cache = new AuthVerdictCache(time, TimeSpan.FromSeconds(30), maxEntries: 2);
        var allow = AuthenticationResult.Accept("a");
        cache.Add("k1", allow);
        Assert.True(cache.TryGet("k1", out var hit));
        Assert.Same(allow, hit);

        time.Advance(TimeSpan.FromSeconds(30));
        Assert.False(cache.TryGet("k1", out _));

        cache.Add("k1", allow);
        cache.Add("k2", allow);
        cache.Add("k3", allow);
        Assert.False(cache.TryGet("k1", out _));
        Assert.True(cache.TryGet("k3", out _));
    }

    [Fact]
    public void The_cache_key_is_token_and_claimed_id_together()
    {
        static string Key(string? id, string token) => AuthVerdictCache.KeyOf(id, Encoding.UTF8.GetBytes(token));

        Assert.Equal(Key("a", "t"), Key("a", "t"));
        Assert.NotEqual(Key("a", "t"), Key("a", "u"));
        Assert.NotEqual(Key("a", "t"), Key("b", "t"));
        Assert.NotEqual(Key("ab", "c"), Key("a", "bc"));
    }

    [Fact]
    public void Unavailable_refuses_with_SERVER_BUSY_and_its_retry_hint()
    {
        var verdict = AuthenticationResult.Unavailable("down", TimeSpan.FromSeconds(3));

        Assert.False(verdict.IsAccepted);
        Assert.Equal(CloseCode.ServerBusy, verdict.Code);
        Assert.Equal(TimeSpan.FromSeconds(3), verdict.RetryAfter);
    }

    [Fact]
    public async Task Settings_come_from_Tether_Auth_and_a_bad_url_is_named_at_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddTetherConnectAuth();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Tether:Auth:Url", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_bind_from_configuration_and_the_authenticator_is_the_servers_to_use()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tether:Auth:Url"] = "http://127.0.0.1:9/auth",
            ["Tether:Auth:CacheTime"] = "00:00:05",
        });
        builder.Services.AddTetherConnectAuth();
        using var host = builder.Build();

        Assert.Equal(TimeSpan.FromSeconds(5), host.Services.GetRequiredService<IOptions<HttpConnectAuthOptions>>().Value.CacheTime);
        Assert.Same(host.Services.GetRequiredService<HttpConnectAuthenticator>(), host.Services.GetRequiredService<IConnectionAuthenticator>());
    }
}
