using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Tether.Admin.Tests;

public sealed class AdminListenerTests
{
    [Fact]
    public async Task Info_answers_with_the_key_and_401_without_it()
    {
        await using var host = await AdminHost.StartAsync();
        Assert.True(host.Admin.IsRunning);
        Assert.NotEqual(0, host.Admin.Endpoint!.Port);

        using var info = await host.Http.GetFromJsonAsync<JsonDocument>("/api/info");
        Assert.Equal("local", info!.RootElement.GetProperty("node").GetString());
        Assert.Equal(0, info.RootElement.GetProperty("counts").GetProperty("connections").GetInt32());
        Assert.False(string.IsNullOrEmpty(info.RootElement.GetProperty("version").GetString()));

        using var anonymous = host.AnonymousClient();
        using var refused = await anonymous.GetAsync("/api/info");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using var error = await refused.Content.ReadFromJsonAsync<JsonDocument>();
        Assert.Contains("API key", error!.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);

        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", host.Admin.ApiKey + "x");
        using var wrong = await anonymous.GetAsync("/api/info");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public async Task Without_a_key_file_on_loopback_a_random_key_is_made_up()
    {
        await using var host = await AdminHost.StartAsync();
        Assert.True(host.Admin.ApiKeyGenerated);
        Assert.True(host.Admin.ApiKey!.Length >= 40);
    }

    [Fact]
    public async Task The_key_comes_from_the_key_file()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, "  s3cret-key-for-tests \n");
            await using var host = await AdminHost.StartAsync(o => o.ApiKeyFile = path);
            Assert.False(host.Admin.ApiKeyGenerated);
            Assert.Equal("s3cret-key-for-tests", host.Admin.ApiKey);
            using var answer = await host.Http.GetAsync("/api/info");
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Health_needs_no_key()
    {
        await using var host = await AdminHost.StartAsync();
        using var anonymous = host.AnonymousClient();
        using var live = await anonymous.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Refuses_to_start_on_a_public_address_without_a_key()
    {
        var ex = await Assert.ThrowsAsync<TetherException>(() => AdminHost.StartAsync(o => o.Listen = "0.0.0.0:0"));
        Assert.Contains("not a loopback address", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task A_missing_key_file_is_one_clear_error()
    {
        var ex = await Assert.ThrowsAsync<TetherException>(() => AdminHost.StartAsync(o => o.ApiKeyFile = "/nonexistent/key"));
        Assert.StartsWith("cannot read the admin API key file '/nonexistent/key'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Is_off_when_listen_is_empty()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddTetherAdmin();
        using var host = builder.Build();
        await host.StartAsync();
        Assert.False(host.Services.GetRequiredService<TetherAdmin>().IsRunning);
        await host.StopAsync();
    }

    [Theory]
    [InlineData("127.0.0.1:7448", "127.0.0.1", 7448)]
    [InlineData("localhost:0", "127.0.0.1", 0)]
    [InlineData("[::1]:80", "::1", 80)]
    [InlineData("*:9000", "0.0.0.0", 9000)]
    public void Listen_addresses_parse(string text, string address, int port)
    {
        var endpoint = Hosting.AdminListenAddress.Parse(text);
        Assert.Equal(IPAddress.Parse(address), endpoint.Address);
        Assert.Equal(port, endpoint.Port);
    }

    [Theory]
    [InlineData("7448")]
    [InlineData("host.example:80")]
    [InlineData("127.0.0.1:99999")]
    public void Bad_listen_addresses_are_refused_in_one_line(string text)
    {
        var ex = Assert.Throws<ArgumentException>(() => Hosting.AdminListenAddress.Parse(text));
        Assert.Contains("is not HOST:PORT", ex.Message, StringComparison.Ordinal);
    }
}
