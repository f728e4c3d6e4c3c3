using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tether.Client;
using Tether.Server;
using Tether.TestSupport;

namespace Tether.Admin.Tests;

/// <summary>
/// A minimal admin listener for the metrics and health tests: a WebApplication on 127.0.0.1:0 with
/// <c>AddTetherTelemetry</c>, <c>MapTetherMetrics</c> and <c>MapTetherHealth</c> for a Tether server on 127.0.0.1:0,
/// plus an HTTP client for it and Tether clients that are disposed with it.
/// </summary>
internal sealed class MetricsAndHealthHost : IAsyncDisposable
{
    private readonly List<TetherClient> _clients = [];

    private MetricsAndHealthHost(WebApplication app, TetherServer server, HttpClient http)
    {
        App = app;
        Server = server;
        Http = http;
    }

    public WebApplication App { get; }

    public TetherServer Server { get; }

    public HttpClient Http { get; }

    /// <summary>
    /// Starts the web host first, then the Tether server (as a host does: the metrics collection must exist before the
    /// first connection is counted). <paramref name="startServer"/> false leaves the server unstarted.
    /// </summary>
    public static async Task<MetricsAndHealthHost> StartAsync(
        Action<TetherServerOptions>? configure = null,
        Action<IServiceCollection>? services = null,
        TimeProvider? time = null,
        bool startServer = true,
        Action<TetherTelemetryOptions>? telemetry = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddTetherTelemetry(configure: telemetry);
        services?.Invoke(builder.Services);

        var options = new TetherServerOptions();
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        options.ShutdownDrainTimeout = TimeSpan.FromSeconds(5);
        options.CloseLinger = TimeSpan.FromSeconds(1);
        configure?.Invoke(options);
        var server = new TetherServer(options, new QuietHandler(), null, time);

        var app = builder.Build();
        app.MapTetherMetrics();
        app.MapTetherHealth(server);
        await app.StartAsync();
        if (startServer)
        {
            await server.StartAsync();
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(20) };
        return new MetricsAndHealthHost(app, server, http);
    }

    /// <summary>Connects a client (no reconnects, so one that is sent away stays away) and waits for its handshake.</summary>
    public async Task<TetherClient> ConnectAsync(string clientId)
    {
        var options = new TetherClientOptions { ClientId = clientId };
        options.EndPoints.Add(Server.LocalEndPoints[0]);
        options.Reconnect.Enabled = false;
        var client = new TetherClient(options);
        _clients.Add(client);
        await client.ConnectAsync();
        return client;
    }

    /// <summary>Disposes one of the clients now (it leaves the server).</summary>
    public async Task DisposeClientAsync(TetherClient client)
    {
        _clients.Remove(client);
        await client.DisposeAsync();
    }

    /// <summary>Polls an HTTP-answered condition (a scrape, a probe); the bound guards against a hang, never measures speed.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Eventually.DefaultBound;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} did not hold within {Eventually.DefaultBound.TotalSeconds} s");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        Http.Dispose();
        await Server.DisposeAsync();
        await App.StopAsync();
        await App.DisposeAsync();
    }

    private sealed class QuietHandler : TetherServerHandler;
}
