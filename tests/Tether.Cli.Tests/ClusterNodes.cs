using System.Globalization;

namespace Tether.Cli.Tests;

/// <summary>
/// <c>tether serve --redis</c> node processes started by a test (each with its own port file, deleted with it), and a
/// look at /proc for node processes a soak should have killed.
/// </summary>
internal sealed class ClusterNodes : IAsyncDisposable
{
    private readonly List<(CliProcess Process, string PortFile)> _nodes = [];

    public IReadOnlyList<CliProcess> Processes => [.. _nodes.Select(n => n.Process)];

    /// <summary>
    /// Starts a node on <paramref name="port"/> (0 for a free one) and waits until it listens; returns its port.
    /// </summary>
    public async Task<int> StartAsync(string redis, string name, int port = 0, params string[] extra)
    {
        var portFile = Path.Combine(Path.GetTempPath(), $"tether-cli-test-{Guid.NewGuid():N}.port");
        var process = CliProcess.Start(
        [
            "serve", "--redis", redis, "--node-name", name, "--listen", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            // Patient with a busy test machine: a Redis call that times out may or may not have happened, and the
            // checks of these nodes count every message.
            "--port-file", portFile, "--drain", "0", "--redis-timeout", "2s", .. extra,
        ]);
        _nodes.Add((process, portFile));
        await process.WaitForStderrAsync(line => line.StartsWith("tether: listening on 127.0.0.1:", StringComparison.Ordinal));
        return PortFiles.Read(portFile);
    }

    /// <summary>The processes of this machine whose command line contains <paramref name="text"/> (Linux; empty elsewhere).</summary>
    public static IReadOnlyList<int> ProcessesWith(string text)
    {
        var found = new List<int>();
        if (!Directory.Exists("/proc"))
        {
            return found;
        }

        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ').Contains(text, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }

        return found;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (process, portFile) in _nodes)
        {
            await process.DisposeAsync();
            File.Delete(portFile);
        }
    }
}
