using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tether.TestSupport;

/// <summary>
/// A real <c>redis-server</c> (Debian's package) as a child process on a free loopback port. By default it has no
/// persistence: stopping it loses its data, so <see cref="RestartAsync"/> brings back an empty Redis on the same port.
/// A persistent one writes every command to an append-only file (fsync always) in its own directory, so it comes back
/// with its data, as a production Redis does after a crash. Disposing stops it. Tests that need it use <see cref="RedisFactAttribute"/>, which skips where <c>redis-server</c> is missing.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private readonly string? _dataDirectory;
    private ChildProcess? _process;

    private RedisServer(int port, string? dataDirectory)
    {
        Port = port;
        _dataDirectory = dataDirectory;
    }

    /// <summary>The loopback port it listens on (kept across restarts).</summary>
    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for it.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>True while the process runs.</summary>
    public bool IsRunning => _process is not null;

    /// <summary>The path of <c>redis-server</c>, or null where it is not installed.</summary>
    public static string? Executable { get; } = FindExecutable();

    /// <summary>Starts a Redis on a free loopback port and waits until it answers PING.</summary>
    /// <param name="persistent">Keep the data across a stop and start (an append-only file, fsync always).</param>
    public static async Task<RedisServer> StartAsync(bool persistent = false)
    {
        if (Executable is null)
        {
            throw new InvalidOperationException("redis-server is not installed (apt-get install redis-server)");
        }

        for (var attempt = 1; ; attempt++)
        {
            var server = new RedisServer(FreePort(), persistent ? Directory.CreateTempSubdirectory("tether-redis-").FullName : null);
            try
            {
                await server.StartProcessAsync().ConfigureAwait(false);
                return server;
            }
            catch (TimeoutException) when (attempt < 3)
            {
                // Another process took the port between the probe and redis-server's bind: try another.
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Kills the process (as a crash would): its data is gone.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _process, null) is { } process)
        {
            process.Signal(9);
            await process.WaitForExitAsync(ChildProcess.DisposeTimeout).ConfigureAwait(false);
            await process.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Starts it again on the same port, empty.</summary>
    public Task StartAgainAsync() => IsRunning ? throw new InvalidOperationException("redis-server is running") : StartProcessAsync();

    /// <summary>Stops it and starts it again on the same port, empty.</summary>
    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await StartProcessAsync().ConfigureAwait(false);
    }

    /// <summary>Sends one command (inline syntax, e.g. "DBSIZE") and returns Redis's reply line.</summary>
    public async Task<string> CommandAsync(string command)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, Port).ConfigureAwait(false);
        await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\r\n")).ConfigureAwait(false);
        var buffer = new byte[64 * 1024];
        var length = 0;
        while (length == 0 || buffer[length - 1] != '\n')
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(length)).AsTask().WaitAsync(StartTimeout).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        return Encoding.ASCII.GetString(buffer, 0, length).TrimEnd();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_dataDirectory is not null)
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    private async Task StartProcessAsync()
    {
        var info = new ProcessStartInfo(Executable!);
        foreach (var argument in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", string.Empty, "--appendonly", _dataDirectory is null ? "no" : "yes", "--appendfsync", "always",
            "--daemonize", "no", "--protected-mode", "no", "--dir", _dataDirectory ?? Path.GetTempPath(), "--logfile", string.Empty,
        })
        {
            info.ArgumentList.Add(argument);
        }

        var process = ChildProcess.Start(info, "redis-server", "redis");
        _process = process;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await CommandAsync("PING").ConfigureAwait(false)).StartsWith("+PONG", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (SocketException)
            {
            }

            if (deadline.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"redis-server did not answer on port {Port} within {StartTimeout.TotalSeconds} s\n{process.Describe()}");
            }

            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static string? FindExecutable()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(directory, "redis-server");
            if (directory.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
