using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tether.Admin.Tests;

/// <summary>The <c>Tether:Telemetry</c> settings and the OTLP export.</summary>
[Collection(nameof(MetricsCollection))]
public sealed class MetricsExportTests
{
    [Fact]
    public async Task With_an_otlp_endpoint_the_metrics_are_pushed_there_too()
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var collector = await StartCollectorAsync(received);

        await using var host = await MetricsAndHealthHost.StartAsync(telemetry: t =>
        {
            t.OtlpEndpoint = collector.Address;
            t.OtlpProtocol = "http/protobuf";
            t.OtlpExportInterval = TimeSpan.FromMilliseconds(200);
        });
        await host.ConnectAsync("a");

        // OTLP is protobuf, in which names are plain UTF-8: the instrument's own name must be in an export.
        var body = await received.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Contains("tether.connections.active", body, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_are_read_from_the_tether_telemetry_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tether:Telemetry:ServiceName"] = "edge",
            ["Tether:Telemetry:OtlpEndpoint"] = "http://collector:4318",
            ["Tether:Telemetry:OtlpProtocol"] = "http/protobuf",
            ["Tether:Telemetry:OtlpExportInterval"] = "00:00:05",
        }).Build();
        var services = new ServiceCollection();

        services.AddTetherTelemetry(configuration);

        var options = services.BuildServiceProvider().GetRequiredService<TelemetryRegistration>().Options;
        Assert.Equal("edge", options.ServiceName);
        Assert.Equal(new Uri("http://collector:4318/v1/metrics"), options.ExporterEndpoint());
        Assert.Equal(TimeSpan.FromSeconds(5), options.OtlpExportInterval);
    }

    [Theory]
    [InlineData("OtlpEndpoint", "collector:4317")]
    [InlineData("OtlpEndpoint", "ftp://collector")]
    [InlineData("OtlpProtocol", "udp")]
    [InlineData("OtlpExportInterval", "00:00:00")]
    [InlineData("OtlpTimeout", "-00:00:01")]
    [InlineData("ScrapeCacheDuration", "-00:00:01")]
    [InlineData("OtlpHeaders", "no-equals-sign")]
    [InlineData("ServiceName", " ")]
    public void A_bad_setting_is_refused_with_one_line_naming_its_key(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tether:Telemetry:" + key] = value,
        }).Build();

        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddTetherTelemetry(configuration));

        Assert.Contains("Tether:Telemetry:" + key, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task Mapping_metrics_without_the_telemetry_says_what_is_missing()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapTetherMetrics());

        Assert.Contains("AddTetherTelemetry", error.Message, StringComparison.Ordinal);
    }

    private static async Task<Collector> StartCollectorAsync(TaskCompletionSource<string> received)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/v1/metrics", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var text = Encoding.UTF8.GetString(buffer.ToArray());
            if (text.Contains("tether.connections.active", StringComparison.Ordinal))
            {
                received.TrySetResult(text);
            }

            return Results.Ok();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Collector(app, new Uri(address));
    }

    private sealed record Collector(WebApplication App, Uri Address) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }
}
