using System.Net;

namespace Tether.Cli.Soak;

/// <summary>
/// The node processes of a cluster soak (<c>--cluster N</c>) and their crashes (<c>--kill-node-every</c>): every period
/// a random node is killed with SIGKILL and started again on its port. Disposing kills every node, whatever happened.
/// </summary>
internal sealed class SoakCluster : IAsyncDisposable
{
    private readonly List<SoakNode> _nodes;
    private readonly TextWriter _progress;

    private SoakCluster(List<SoakNode> nodes, TextWriter progress)
    {
        _nodes = nodes;
        _progress = progress;
    }

    public IReadOnlyList<EndPoint> EndPoints => [.. _nodes.Select(n => (EndPoint)n.EndPoint)];

    public int Count => _nodes.Count;

    /// <summary>Starts <paramref name="count"/> nodes (in parallel), named soak-1, soak-2, ...; none is left running if one fails.</summary>
    public static async Task<SoakCluster> StartAsync(int count, string redis, string keyPrefix, TextWriter progress, CancellationToken cancellationToken)
    {
        var starting = Enumerable.Range(1, count)
            .Select(i => SoakNode.StartAsync($"soak-{i}", redis, keyPrefix, cancellationToken))
            .ToList();
        try
        {
            await Task.WhenAll(starting).ConfigureAwait(false);
        }
        catch
        {
            foreach (var started in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        return new SoakCluster([.. starting.Select(t => t.Result)], progress);
    }

    /// <summary>
    /// Kills a random node every <paramref name="every"/> and restarts it, until <paramref name="stop"/>; a restart under
    /// way is completed, so that the run settles with every node up.
    /// </summary>
    public async Task RunKillsAsync(TimeSpan every, Random random, SoakCounters counters, TimeProvider time, CancellationToken stop)
    {
        while (true)
        {
            try
            {
                await Task.Delay(every, time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var node = _nodes[random.Next(_nodes.Count)];
            await node.KillAsync().ConfigureAwait(false);
            counters.NodeKilled();
            _progress.WriteLine($"tether: soak: killed node {node.Name} ({node.EndPoint}) with SIGKILL; restarting it");
            try
            {
                await node.RestartAsync(CancellationToken.None).ConfigureAwait(false);
                _progress.WriteLine($"tether: soak: node {node.Name} is back on {node.EndPoint}");
            }
            catch (Exception ex) when (ex is CliException or IOException or System.ComponentModel.Win32Exception)
            {
                // Its clients fail over to the others; the run goes on and the summary tells whether they settled.
                _progress.WriteLine($"tether: {ex.Message}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_nodes.Select(n => n.DisposeAsync().AsTask())).ConfigureAwait(false);
    }
}
