using Microsoft.Extensions.Options;

namespace Tether.Hosting.Tests;

public sealed class ValidationTests
{
    [Fact]
    public async Task Each_bad_key_is_one_error_naming_the_key_and_why_and_the_host_does_not_start()
    {
        var builder = TestHosts.Builder(
            ("Tether:Server:EndPoints:0", "127.0.0.1:0"),
            ("Tether:Server:MaxConnections", "lots"),
            ("Tether:Server:Heartbeat:Interval", "3x"),
            ("Tether:Server:Transport", "carrier-pigeon"),
            ("Tether:Server:MaxConections", "10"),
            ("Tether:Server:Authenticator", "yes"));
        builder.Services.AddTetherServer<RecordingHandler>();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(5, error.Failures.Count());
        Assert.Contains("Tether:Server:MaxConnections: 'lots' is not a whole number", error.Failures);
        Assert.Contains(error.Failures, f => f.StartsWith("Tether:Server:Heartbeat:Interval: '3x' is not a duration", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Tether:Server:Transport: 'carrier-pigeon' is not one of Auto, ", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Tether:Server:MaxConections: unknown setting", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Tether:Server:Authenticator: cannot be set from configuration", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_library_rules_apply_to_settings_that_parse_but_contradict_each_other()
    {
        var builder = TestHosts.Builder(
            ("Tether:Server:EndPoints:0", "127.0.0.1:0"),
            ("Tether:Server:MaxFrameSize", "10"));
        builder.Services.AddTetherServer<RecordingHandler>();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal("Tether:Server: the maximum frame size must be at least 1024 bytes", Assert.Single(error.Failures));
    }

    [Fact]
    public async Task A_client_without_endpoints_is_refused_at_start()
    {
        var builder = TestHosts.Builder(("Tether:Client:ClientId", "device-1"));
        builder.Services.AddTetherClient();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal("Tether:Client: a client needs at least one endpoint", Assert.Single(error.Failures));
    }
}
