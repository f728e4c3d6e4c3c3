using System.Text.Json;
using Tether.Client;
using Tether.Server;

namespace Tether.Admin.Tests.Dashboard;

/// <summary>
/// The real admin listener (<see cref="AdminHost"/>: a TetherServer and the listener, both on 127.0.0.1:0) serving the
/// dashboard, plus the clients a test connects. Disposing closes the clients, then the host.
/// </summary>
internal sealed class DashboardHost : IAsyncDisposable
{
    private readonly AdminHost _host;
    private readonly List<TetherClient> _clients = [];

    private DashboardHost(AdminHost host) => _host = host;

    public TetherServer Server => _host.Server;

    public Uri BaseAddress => _host.Admin.BaseAddress!;

    public string ApiKey => _host.Admin.ApiKey!;

    /// <summary>Carries the key.</summary>
    public HttpClient Http => _host.Http;

    public static async Task<DashboardHost> StartAsync() => new(await AdminHost.StartAsync());

    /// <summary>An HttpClient for the admin listener with no key.</summary>
    public HttpClient AnonymousClient() => _host.AnonymousClient();

    /// <summary>Connects a client with <paramref name="clientId"/> that does not reconnect once disconnected (so a kick shows in the counts).</summary>
    public async Task<TetherClient> ConnectClientAsync(string clientId)
    {
        var options = new TetherClientOptions { ClientId = clientId, Reconnect = new ReconnectOptions { Enabled = false } };
        options.EndPoints.Add(_host.TetherEndPoint);
        var client = new TetherClient(options);
        _clients.Add(client);
        await client.ConnectAsync();
        return client;
    }

    /// <summary>The connection count <c>GET /api/info</c> reports.</summary>
    public async Task<int> InfoConnectionsAsync()
    {
        using var info = JsonDocument.Parse(await Http.GetStringAsync("api/info"));
        return info.RootElement.GetProperty("counts").GetProperty("connections").GetInt32();
    }

    /// <summary>The session count <c>GET /api/info</c> reports.</summary>
    public async Task<int> InfoSessionsAsync()
    {
        using var info = JsonDocument.Parse(await Http.GetStringAsync("api/info"));
        return info.RootElement.GetProperty("counts").GetProperty("sessions").GetInt32();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        await _host.DisposeAsync();
    }
}
