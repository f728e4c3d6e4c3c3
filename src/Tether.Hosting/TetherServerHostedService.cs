using Microsoft.Extensions.Hosting;
using Tether.Server;

namespace Tether.Hosting;

/// <summary>
/// Ties a <see cref="TetherServer"/> to the host's lifetime: it listens when the host starts and drains (GOAWAY, then
/// close) when the host stops. The host's shutdown token ends the drain early, as a second Ctrl-C does in
/// <c>tether serve</c>; the container disposes the server afterwards.
/// </summary>
internal sealed class TetherServerHostedService(TetherServer server) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => server.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await server.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Some peer ignored CLOSE past the linger time. Cut it off here: disposing a server that is still waiting
            // for connections to close would wait for them again.
            foreach (var connection in server.Connections)
            {
                connection.Abort();
            }
        }
    }
}
