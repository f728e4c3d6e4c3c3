using Microsoft.Extensions.Hosting;
using Tether.Client;

namespace Tether.Hosting;

/// <summary>
/// Connects a <see cref="TetherClient"/> when the host starts and closes it when the host stops; the container disposes
/// it with the host (disposing here too would dispose it twice).
/// </summary>
internal sealed class TetherClientHostedService(TetherClient client) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => client.ConnectAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => client.CloseAsync(cancellationToken);
}
