using Tether.LoadGen;

namespace Tether.ClusterBench;

/// <summary>
/// Entry point: <c>Tether.ClusterBench clients ...</c> (a load process of session clients) or
/// <c>Tether.ClusterBench pusher &lt;push|reliable|broadcast|stream&gt; ...</c> (README.md).
/// </summary>
internal static class Program
{
    private const string Usage =
        "usage: Tether.ClusterBench clients --nodes H:P,H:P... --home K --count N [--source 127.0.0.X] [--connect-concurrency 32]\n"
        + "       Tether.ClusterBench pusher <push|reliable|broadcast|stream> --redis H:P --nodes N --per-node C [workload options]";

    private static async Task<int> Main(string[] args)
    {
        using var stop = new StopSignal();
        try
        {
            return args switch
            {
                ["clients", .. var rest] => await ClientsRole.RunAsync(new BenchArgs(rest), stop).ConfigureAwait(false),
                ["pusher", var workload, .. var rest] => await PusherRole.RunAsync(workload, new BenchArgs(rest), stop).ConfigureAwait(false),
                _ => throw new UsageException(Usage),
            };
        }
        catch (UsageException ex)
        {
            await Console.Error.WriteLineAsync("Tether.ClusterBench: " + ex.Message).ConfigureAwait(false);
            return 2;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await Console.Error.WriteLineAsync($"Tether.ClusterBench: {ex.GetType().Name}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
