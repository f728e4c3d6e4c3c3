using Microsoft.Extensions.Hosting;

namespace Tether.Cli.Hosting;

/// <summary>
/// A host lifetime that does nothing: the command decides when the host starts and stops (two-stage signals through
/// <see cref="ShutdownSignal"/>), where the default console lifetime would stop on the first Ctrl-C on its own.
/// </summary>
internal sealed class CommandLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
