using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tether.Admin.Dashboard;
using Tether.Client;
using Tether.Server;

namespace Tether.Admin.Tests.Dashboard;

/// <summary>
/// A TetherServer on 127.0.0.1:0 and, on 127.0.0.1:0, a small Kestrel app serving the dashboard plus the few API
/// endpoints its page calls, behind a bearer key. Disposing stops both and the clients it connected.
/// </summary>
internal sealed class DashboardHost : IAsyncDisposable
{
    public const string ApiKey = "dashboard-test-key";

    private readonly WebApplication _app;
    private readonly List<TetherClient> _clients = [];

    private DashboardHost(TetherServer server, WebApplication app, Uri baseAddress)
    {
        Server = server;
        _app = app;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
    }

    public TetherServer Server { get; }

    public Uri BaseAddress { get; }

    /// <summary>Carries the key.</summary>
    public HttpClient Http { get; }

    public static async Task<DashboardHost> StartAsync()
    {
        var options = new TetherServerOptions();
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        var server = new TetherServer(options, new NullHandler());
        await server.StartAsync();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(server);
        var app = builder.Build();
        app.UseRouting();
        app.Use(RequireKey);
        app.MapTetherDashboard();
        app.MapGet("/api/info", () => Results.Json(new Dictionary<string, object> { ["connections"] = server.Connections.Count }));
        app.MapGet("/api/clients/{clientId}", (string clientId) => server.Connections.TryGetByClientId(clientId, out var connection)
            ? Results.Json(new Dictionary<string, object?> { ["clientId"] = clientId, ["connectionId"] = connection.Id, ["remoteAddress"] = connection.RemoteEndPoint?.ToString() })
            : Results.Json(new Dictionary<string, string> { ["error"] = "unknown client" }, statusCode: 404));
        app.MapDelete("/api/clients/{clientId}", async (string clientId) =>
        {
            if (!server.Connections.TryGetByClientId(clientId, out var connection))
            {
                return Results.Json(new Dictionary<string, string> { ["error"] = "unknown client" }, statusCode: 404);
            }

            await connection.CloseAsync(Tether.Protocol.CloseCode.Normal, "kicked from the dashboard");
            return Results.Json(new Dictionary<string, string> { ["status"] = "disconnected" });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new DashboardHost(server, app, new Uri(address + "/"));
    }

    /// <summary>Connects a client with <paramref name="clientId"/> that does not reconnect once disconnected.</summary>
    public async Task<TetherClient> ConnectClientAsync(string clientId)
    {
        var client = NewClient(Server.LocalEndPoints[0], clientId);
        _clients.Add(client);
        await client.ConnectAsync();
        return client;
    }

    /// <summary>A client that stays away once disconnected (so a kick shows in the counts).</summary>
    public static TetherClient NewClient(EndPoint server, string clientId)
    {
        var options = new TetherClientOptions { ClientId = clientId, Reconnect = new ReconnectOptions { Enabled = false } };
        options.EndPoints.Add(server);
        return new TetherClient(options);
    }

    /// <summary>The connection count <c>GET /api/info</c> reports.</summary>
    public async Task<int> InfoConnectionsAsync()
    {
        using var info = JsonDocument.Parse(await Http.GetStringAsync("api/info"));
        return info.RootElement.GetProperty("connections").GetInt32();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Server.DisposeAsync();
    }

    private static Task RequireKey(HttpContext context, RequestDelegate next)
    {
        var open = context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is not null;
        if (open || context.Request.Headers.Authorization == "Bearer " + ApiKey)
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return context.Response.WriteAsJsonAsync(new Dictionary<string, string> { ["error"] = "missing or wrong API key" });
    }

    private sealed class NullHandler : TetherServerHandler;
}
