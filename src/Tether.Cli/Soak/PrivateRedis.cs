using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tether.Cli.Soak;

/// <summary>
/// A redis-server of a cluster soak's own (<c>--cluster</c> without <c>--redis</c>): started from the PATH on a free
/// loopback port, without persistence, in a temporary directory, and killed when the soak ends.
/// </summary>
internal sealed class PrivateRedis : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly string _directory;

    private PrivateRedis(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Configuration = $"127.0.0.1:{port}";
    }

    /// <summary>Its address, as --redis takes it.</summary>
    public string Configuration { get; }

    public static async Task<PrivateRedis> StartAsync(CancellationToken cancellationToken)
    {
        var port = FreePort();
        var directory = Directory.CreateTempSubdirectory("tether-soak-redis-").FullName;
        var start = new ProcessStartInfo("redis-server")
        {
            WorkingDirectory = directory,
            // Its log is of no use to the soak's report: discarded.
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };
        start.ArgumentList.Add("--logfile");
        start.ArgumentList.Add(Path.Combine(directory, "redis.log"));
        foreach (var argument in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", string.Empty, "--appendonly", "no" })
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new CliException("--cluster without --redis: redis-server did not start");
        }
        catch (Win32Exception)
        {
            Directory.Delete(directory, recursive: true);
            throw new CliException("--cluster without --redis needs redis-server on the PATH (apt-get install redis-server), or give --redis HOST:PORT");
        }

        var redis = new PrivateRedis(process, directory, port);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!await redis.AnswersAsync().ConfigureAwait(false))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await redis.DisposeAsync().ConfigureAwait(false);
                throw new CliException($"--cluster without --redis: the private redis-server did not answer on 127.0.0.1:{port}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
        }

        return redis;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill();
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<bool> AnswersAsync()
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, int.Parse(Configuration.AsSpan(Configuration.LastIndexOf(':') + 1), System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false);
            await socket.SendAsync("PING\r\n"u8.ToArray()).ConfigureAwait(false);
            var buffer = new byte[16];
            var read = await socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException)
        {
            return false;
        }
    }
}
