using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tether.Admin.Security;
using Tether.Server;

namespace Tether.Admin.Hosting;

/// <summary>
/// Runs the admin listener with the host: starts it (when <see cref="AdminOptions.Listen"/> is set) after the server,
/// refuses to start without a key on an address other than loopback, and stops it with the host.
/// </summary>
internal sealed class AdminHostedService(IServiceProvider services, IOptions<AdminOptions> options, TetherAdmin admin, ILoggerFactory loggerFactory)
    : IHostedService, IAsyncDisposable
{
    private readonly AdminLog _log = new(loggerFactory.CreateLogger<AdminLog>());
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (string.IsNullOrWhiteSpace(settings.Listen))
        {
            return;
        }

        settings.Validate();
        var endpoint = AdminListenAddress.Parse(settings.Listen);
        var key = LoadKey(settings, endpoint);
        var server = services.GetService<TetherServer>()
            ?? throw new InvalidOperationException("the admin listener needs a TetherServer in the host's services (AddTetherServer)");

        var app = AdminApp.Build(new AdminAppContext(endpoint, key, settings, server, admin, loggerFactory, services));
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new TetherException($"the admin API cannot listen on {endpoint}: {ex.Message}", ex);
        }

        _app = app;
        var bound = BoundEndpoint(app, endpoint);
        admin.SetRunning(bound, key.Value, key.Generated);
        _log.Listening(bound, key.Generated);
        if (key.Generated)
        {
            _log.GeneratedKey(key.Value);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is null)
        {
            return;
        }

        admin.SetStopped();
        await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        _log.Stopped();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
        }
    }

    private static AdminApiKey LoadKey(AdminOptions settings, System.Net.IPEndPoint endpoint)
    {
        if (!string.IsNullOrWhiteSpace(settings.ApiKeyFile))
        {
            return AdminApiKey.FromFile(settings.ApiKeyFile);
        }

        return System.Net.IPAddress.IsLoopback(endpoint.Address)
            ? AdminApiKey.Generate()
            : throw new TetherException($"the admin API would listen on {endpoint}, which is not a loopback address, without an API key: set Tether:Admin:ApiKeyFile (--api-key-file PATH) or listen on 127.0.0.1");
    }

    // Port 0 is resolved by Kestrel when it binds: read the address back.
    private static System.Net.IPEndPoint BoundEndpoint(WebApplication app, System.Net.IPEndPoint requested)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault();
        return first is not null && Uri.TryCreate(first, UriKind.Absolute, out var uri)
            ? new System.Net.IPEndPoint(requested.Address, uri.Port)
            : requested;
    }
}
