
namespace Tether.Admin.Tests;

/// <summary>
/// The metrics of one process are one set: these tests run alone (after the parallel ones), so the servers of other
/// tests do not add to the gauges they read.
/// </summary>
[CollectionDefinition(nameof(MetricsCollection), DisableParallelization = true)]
public sealed class MetricsCollection;

[Collection(nameof(MetricsCollection))]
public sealed class MetricsTests
{
    [Fact]
    public async Task The_connection_gauge_on_metrics_equals_the_number_connected()
    {
        await using var host = await MetricsAndHealthHost.StartAsync();
        var clients = new[] { await host.ConnectAsync("a"), await host.ConnectAsync("b"), await host.ConnectAsync("c") };

        await MetricsAndHealthHost.WaitUntilAsync(async () => await ActiveConnectionsAsync(host) == 3, "the gauge to read 3");
        var (samples, types) = MetricsText.Parse(await host.Http.GetStringAsync("/metrics"));
        Assert.Equal("gauge", types["tether_connections_active"]);
        Assert.Equal(3, ServerSamples(samples, "tether_connections_active").Sum(s => s.Value));

        await host.DisposeClientAsync(clients[0]);
        await MetricsAndHealthHost.WaitUntilAsync(async () => await ActiveConnectionsAsync(host) == 2, "the gauge to read 2 after a client left");
        Assert.Equal(2, host.Server.Connections.Count);
    }

    [Fact]
    public async Task Counters_histograms_and_units_have_the_prometheus_names_the_docs_list()
    {
        await using var host = await MetricsAndHealthHost.StartAsync();
        await host.ConnectAsync("a");
        await MetricsAndHealthHost.WaitUntilAsync(async () => await ActiveConnectionsAsync(host) == 1, "the gauge to read 1");

        var (samples, types) = MetricsText.Parse(await host.Http.GetStringAsync("/metrics"));

        Assert.Equal("counter", types["tether_connections_accepted_total"]);
        Assert.Equal(1, ServerSamples(samples, "tether_connections_accepted_total").Single().Value);
        Assert.Equal("counter", types["tether_bytes_received_bytes_total"]);
        Assert.Contains(ServerSamples(samples, "tether_bytes_sent_bytes_total"), s => s.Value > 0);

        // The test's client records on the same process's metrics: the scope label tells the two apart.
        Assert.Equal(1, samples.Single(s => s.Name == "tether_connections_active" && s.Labels["otel_scope_name"] == "Tether.Client").Value);
    }

    [Fact]
    public async Task Metrics_text_parses_as_prometheus_text()
    {
        await using var host = await MetricsAndHealthHost.StartAsync();
        await host.ConnectAsync("a");

        using var response = await host.Http.GetAsync("/metrics");

        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var (samples, _) = MetricsText.Parse(await response.Content.ReadAsStringAsync());
        Assert.NotEmpty(samples);
    }

    private static async Task<double> ActiveConnectionsAsync(MetricsAndHealthHost host)
    {
        var (samples, _) = MetricsText.Parse(await host.Http.GetStringAsync("/metrics"));
        return ServerSamples(samples, "tether_connections_active").Sum(s => s.Value);
    }

    /// <summary>The server's samples of a metric (the tests' clients, in the same process, have their own scope).</summary>
    private static IEnumerable<MetricSample> ServerSamples(List<MetricSample> samples, string name) =>
        samples.Where(s => s.Name == name && s.Labels.GetValueOrDefault("otel_scope_name") == "Tether.Server");
}
