using Microsoft.Extensions.Hosting;
using Tether.Client;

namespace Tether.Hosting;

/// <summary>Connects a <see cref="TetherClient"/> when the host starts and closes it (disposes it) when the host stops.</summary>
internal sealed class TetherClientHostedService(TetherClient client) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => client.ConnectAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken) => await client.DisposeAsync().ConfigureAwait(false);
}
