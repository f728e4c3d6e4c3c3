using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tether.Server;

namespace Tether.Admin.Tests;

/// <summary>
/// A real host for tests: a TetherServer on 127.0.0.1:0 started with the host, and the admin listener on 127.0.0.1:0,
/// with an HttpClient that carries the key.
/// </summary>
internal sealed class AdminHost : IAsyncDisposable
{
    private readonly IHost _host;

    private AdminHost(IHost host, TetherServer server, TetherAdmin admin)
    {
        _host = host;
        Server = server;
        Admin = admin;
        Http = new HttpClient { BaseAddress = admin.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", admin.ApiKey);
    }

    public TetherServer Server { get; }

    public TetherAdmin Admin { get; }

    /// <summary>Carries the key.</summary>
    public HttpClient Http { get; }

    public IPEndPoint TetherEndPoint => Server.LocalEndPoints[0];

    public static async Task<AdminHost> StartAsync(
        Action<AdminOptions>? admin = null,
        Action<TetherServerOptions>? server = null,
        TetherServerHandler? handler = null)
    {
        var options = new TetherServerOptions();
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        server?.Invoke(options);
        var tether = new TetherServer(options, handler ?? new NullHandler());

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(tether);
        builder.Services.AddHostedService(_ => new ServerLifetime(tether));
        builder.Services.AddTetherAdmin(o =>
        {
            o.Listen = "127.0.0.1:0";
            admin?.Invoke(o);
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            await tether.DisposeAsync();
            throw;
        }

        return new AdminHost(host, tether, host.Services.GetRequiredService<TetherAdmin>());
    }

    /// <summary>An HttpClient for the admin listener with no key.</summary>
    public HttpClient AnonymousClient() => new() { BaseAddress = Admin.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _host.StopAsync();
        _host.Dispose();
        await Server.DisposeAsync();
    }

    private sealed class NullHandler : TetherServerHandler;

    // Stands in for the hosting part's AddTetherServer: the server starts and stops with the host.
    private sealed class ServerLifetime(TetherServer server) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => server.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => server.StopAsync(cancellationToken);
    }
}
