using Microsoft.Extensions.Hosting;

namespace Tether.Admin.Hosting;

/// <summary>
/// The admin app's host lifetime: none of its own. The outer host owns signals (Ctrl-C, SIGTERM) and stops the admin
/// listener with everything else; the default console lifetime would race it for them.
/// </summary>
internal sealed class DetachedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
