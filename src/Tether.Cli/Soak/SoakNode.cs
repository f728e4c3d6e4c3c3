using System.Diagnostics;
using System.Globalization;
using System.Net;
using Tether.Cli.Parsing;

namespace Tether.Cli.Soak;

/// <summary>
/// One node of a cluster soak: a <c>tether serve --redis ...</c> child process of this same CLI, echoing on
/// 127.0.0.1. The first start picks a free port; a restart after a kill listens on the same one, so that the clients'
/// endpoint lists stay right. Its logs are drained (warnings and errors only) and its last stderr lines kept to explain
/// a node that would not start.
/// </summary>
internal sealed class SoakNode : IAsyncDisposable
{
    private const int KeptLines = 10;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The Redis operation timeout of the soak's nodes and pusher. A soak loads the machine it runs on: Redis then
    /// answers late without being at fault, and an error for a message that may have got through would make the soak
    /// send it again (a duplicate).
    /// </summary>
    public static TimeSpan RedisTimeout { get; } = TimeSpan.FromSeconds(2);

    // Rebinding the port of a node just killed can briefly fail.
    private static readonly TimeSpan RebindFor = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RebindPause = TimeSpan.FromMilliseconds(100);

    private readonly string _redis;
    private readonly string _keyPrefix;
    private readonly string _portFile = Path.Combine(Path.GetTempPath(), $"tether-soak-{Guid.NewGuid():N}.port");
    private readonly Queue<string> _lastErrors = new();
    private Process? _process;

    private SoakNode(string name, string redis, string keyPrefix)
    {
        Name = name;
        _redis = redis;
        _keyPrefix = keyPrefix;
    }

    public string Name { get; }

    /// <summary>Where the node listens (the same across restarts); port 0 until it first started.</summary>
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>Starts a node on a free port.</summary>
    public static async Task<SoakNode> StartAsync(string name, string redis, string keyPrefix, CancellationToken cancellationToken)
    {
        var node = new SoakNode(name, redis, keyPrefix);
        try
        {
            await node.StartProcessAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return node;
    }

    /// <summary>Kills the node with SIGKILL, as a crash or an OOM killer would: no GOAWAY, no drain, nothing cleaned up.</summary>
    public async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _process, null) is { } process)
        {
            await KillAsync(process).ConfigureAwait(false);
        }
    }

    /// <summary>Starts the node again on its port, retrying while the port is not free yet.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                await StartProcessAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (CliException) when (Stopwatch.GetElapsedTime(started) < RebindFor)
            {
                await Task.Delay(RebindPause, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        try
        {
            File.Delete(_portFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private async Task StartProcessAsync(CancellationToken cancellationToken)
    {
        var start = CliExecutable.InOwnSession(CliExecutable.StartInfo(
        [
            "serve",
            "--redis", _redis,
            "--redis-prefix", _keyPrefix,
            "--node-name", Name,
            "--redis-timeout", DurationParser.Format(RedisTimeout),
            "--listen", EndPoint.ToString(),
            "--port-file", _portFile,
            // The soak clients propose 1 s / 3 s heartbeats; the bounds must let the node accept them.
            "--heartbeat", "1s",
            "--timeout", "3s",
            "--log-level", "warning",
            // Should this process die without killing its nodes (SIGKILL), the end of their stdin stops them.
            "--stop-on-stdin-end",
            "--drain", "1s",
        ]));
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        start.UseShellExecute = false;

        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }

            lock (_lastErrors)
            {
                _lastErrors.Enqueue(line);
                if (_lastErrors.Count > KeptLines)
                {
                    _lastErrors.Dequeue();
                }
            }

            if (line.StartsWith("tether: listening on", StringComparison.Ordinal))
            {
                listening.TrySetResult();
            }
        };
        process.Exited += (_, _) => listening.TrySetException(new CliException($"soak: node {Name} exited before it listened: {LastError()}", ExitCodes.Failure));

        lock (_lastErrors)
        {
            _lastErrors.Clear();
        }

        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await listening.Task.WaitAsync(StartTimeout, cancellationToken).ConfigureAwait(false);
            var port = int.Parse(File.ReadAllLines(_portFile)[0], CultureInfo.InvariantCulture);
            EndPoint = new IPEndPoint(IPAddress.Loopback, port);
        }
        catch (Exception ex)
        {
            await KillAsync(process).ConfigureAwait(false);
            if (ex is TimeoutException)
            {
                throw new CliException($"soak: node {Name} did not listen within {StartTimeout.TotalSeconds:0} s: {LastError()}", ExitCodes.Failure);
            }

            throw;
        }

        _process = process;
    }

    private string LastError()
    {
        lock (_lastErrors)
        {
            return _lastErrors.Count == 0 ? "(no output)" : _lastErrors.Last();
        }
    }

    private static async Task KillAsync(Process process)
    {
        try
        {
            // Process.Kill is SIGKILL on Unix.
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        process.Dispose();
    }
}
