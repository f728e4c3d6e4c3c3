using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Tether.Bench.Infra;

/// <summary>A server the scenarios can run: its name on the command line, the load generator's protocol for it, and its build.</summary>
internal sealed record ServerKind(string Name, string Protocol, bool IsDotNet, Binary? Binary, string Description)
{
    public static readonly ServerKind Tether = new("tether", "tether", true, Binaries.Tether, "tether serve");
    public static readonly ServerKind Kestrel = new("kestrel", "raw", true, Binaries.Peer("KestrelEcho"), "Kestrel ConnectionHandler echo");
    public static readonly ServerKind DotNetty = new("dotnetty", "raw", true, Binaries.Peer("DotNettyEcho"), "DotNetty 0.7.6 echo with IdleStateHandler");
    public static readonly ServerKind MqttNet = new("mqttnet", "mqtt", true, Binaries.Peer("MqttNetBroker"), "MQTTnet 5 broker");
    public static readonly ServerKind Mosquitto = new("mosquitto", "mqtt", false, null, "Mosquitto broker");

    public static readonly IReadOnlyList<ServerKind> All = [Tether, Kestrel, DotNetty, MqttNet, Mosquitto];

    public static ServerKind Parse(string name) =>
        All.FirstOrDefault(k => string.Equals(k.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new BenchException($"unknown server '{name}': one of {string.Join(", ", All.Select(k => k.Name))}");
}

/// <summary>A started server: its process, the ports it listens on (in --listen order) and how it was started.</summary>
internal sealed class RunningServer : IAsyncDisposable
{
    public RunningServer(ServerKind kind, ChildProcess process, IReadOnlyList<int> ports, string? portFile, long listeningTimestamp)
    {
        Kind = kind;
        Process = process;
        Ports = ports;
        PortFile = portFile;
        ListeningTimestamp = listeningTimestamp;
        BaselineFiles = ProcStats.OpenFiles(process.Pid) ?? 0;
    }

    /// <summary>Open files when it started listening: what is not a connection.</summary>
    public int BaselineFiles { get; set; }

    /// <summary>Connections the server holds now (accepted sockets), from its open files; null when it is gone.</summary>
    public int? OpenConnections => ProcStats.OpenFiles(Pid) is { } files ? Math.Max(0, files - BaselineFiles) : null;

    public ServerKind Kind { get; }

    public ChildProcess Process { get; }

    public int Pid => Process.Pid;

    public IReadOnlyList<int> Ports { get; }

    public string? PortFile { get; }

    /// <summary>Stopwatch.GetTimestamp() when the orchestrator saw the port file (or the listening socket).</summary>
    public long ListeningTimestamp { get; }

    public string Target(int index = 0) => $"127.0.0.1:{Ports[index].ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Fails with the server's last stderr lines if it has ended.</summary>
    public void EnsureRunning()
    {
        if (Process.HasExited)
        {
            throw new BenchException($"{Kind.Name} (pid {Pid}) ended unexpectedly with exit code {Process.Exited.Result}: {Process.StderrTail}");
        }
    }

    /// <summary>SIGTERM, a few seconds to finish, then SIGKILL.</summary>
    public Task StopAsync() => Process.StopAsync("TERM", TimeSpan.FromSeconds(5));

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}

/// <summary>
/// Watches /proc/net/tcp from a thread of its own for a listening socket on a port, and notes when it first appears.
/// A server flooded by reconnecting clients the moment it listens may write its port file a little later (its
/// thread pool is busy with them): the socket is the earlier, truer "listening again".
/// </summary>
internal sealed class ListenWatch : IDisposable
{
    private readonly int _port;
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _listeningSince;

    public ListenWatch(int port)
    {
        _port = port;
        _thread = new Thread(Run) { IsBackground = true, Name = "listen watch", Priority = ThreadPriority.Highest };
        _thread.Start();
    }

    /// <summary>Stopwatch.GetTimestamp() when the listening socket was first seen, or null.</summary>
    public long? ListeningSince => Interlocked.Read(ref _listeningSince) is var since && since != 0 ? since : null;

    public void Dispose()
    {
        _stop = true;
        _thread.Join(TimeSpan.FromSeconds(5));
    }

    private void Run()
    {
        var deadline = Stopwatch.GetTimestamp() + (60 * Stopwatch.Frequency);
        while (!_stop && Stopwatch.GetTimestamp() < deadline)
        {
            if (ProcStats.IsListening(_port))
            {
                Interlocked.Exchange(ref _listeningSince, Stopwatch.GetTimestamp());
                return;
            }

            Thread.Sleep(2);
        }
    }
}

/// <summary>Starts servers and waits until they listen (port file, or the listening socket for Mosquitto).</summary>
internal static class ServerLauncher
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Starts <paramref name="kind"/>. For tether, <paramref name="tetherArguments"/> are the arguments after
    /// <c>serve</c> other than --port-file and --log-level (they carry --listen). <paramref name="fixedPort"/> pins a peer's
    /// or Mosquitto's port (port 0 otherwise).
    /// </summary>
    public static async Task<RunningServer> StartAsync(BenchContext context, ServerKind kind, string label, IReadOnlyList<string>? tetherArguments = null,
        int? fixedPort = null, int? watchPort = null)
    {
        context.CancellationToken.ThrowIfCancellationRequested();
        var logPath = context.WorkFile($"{label}.log");
        if (kind == ServerKind.Mosquitto)
        {
            return await StartMosquittoAsync(context, label, logPath, fixedPort).ConfigureAwait(false);
        }

        var portFile = context.WorkFile($"{label}.port");
        File.Delete(portFile);
        List<string> arguments = [kind.Binary!.FullDllPath(context.Root)];
        int expectedPorts;
        if (kind == ServerKind.Tether)
        {
            var given = tetherArguments ?? ["--listen", "127.0.0.1:0"];
            arguments.Add("serve");
            arguments.AddRange(given);
            arguments.AddRange(["--port-file", portFile, "--log-level", "warning"]);
            expectedPorts = Math.Max(1, given.Count(a => a is "--listen" or "-l"));
        }
        else
        {
            arguments.AddRange(["--port", (fixedPort ?? 0).ToString(CultureInfo.InvariantCulture), "--port-file", portFile]);
            expectedPorts = 1;
        }

        var child = await ChildProcess.StartAsync(label, "dotnet", arguments, context.Root, logPath).ConfigureAwait(false);
        context.RecordCommand("server", label, child);
        using var watch = watchPort is { } port ? new ListenWatch(port) : null;
        try
        {
            var ports = await WaitForPortFileAsync(context, child, kind, portFile, expectedPorts).ConfigureAwait(false);
            var seen = Stopwatch.GetTimestamp();
            return new RunningServer(kind, child, ports, portFile, watch?.ListeningSince is { } listening && listening < seen ? listening : seen);
        }
        catch
        {
            await child.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts tether again with the same arguments, on the ports it had (a restart after a kill).</summary>
    public static Task<RunningServer> RestartTetherAsync(BenchContext context, RunningServer previous, string label, IReadOnlyList<string> tetherArguments)
    {
        var pinned = new List<string>();
        var portIndex = 0;
        for (var i = 0; i < tetherArguments.Count; i++)
        {
            if (tetherArguments[i] is "--listen" or "-l" && i + 1 < tetherArguments.Count)
            {
                var spec = tetherArguments[i + 1];
                var port = previous.Ports[portIndex++].ToString(CultureInfo.InvariantCulture);
                pinned.Add(tetherArguments[i]);
                pinned.Add(spec.Replace("127.0.0.1:0", "127.0.0.1:" + port, StringComparison.Ordinal));
                i++;
            }
            else
            {
                pinned.Add(tetherArguments[i]);
            }
        }

        return StartAsync(context, ServerKind.Tether, label, pinned, watchPort: previous.Ports[0]);
    }

    /// <summary>Null when Mosquitto can be run; otherwise why not.</summary>
    public static string? MosquittoUnavailable(string root)
    {
        if (MachineInfo.MosquittoVersion() is null)
        {
            return "mosquitto is not installed (apt-get install mosquitto)";
        }

        return File.Exists(Path.Combine(root, MosquittoTemplate)) ? null : $"{MosquittoTemplate} is missing";
    }

    private const string MosquittoTemplate = "bench/Peers/Mosquitto/mosquitto.conf.template";

    private static async Task<RunningServer> StartMosquittoAsync(BenchContext context, string label, string logPath, int? fixedPort)
    {
        var port = fixedPort ?? FreePort();
        var template = await File.ReadAllTextAsync(Path.Combine(context.Root, MosquittoTemplate), context.CancellationToken).ConfigureAwait(false);
        var configuration = MosquittoConfig.Fill(template, port, context.WorkDirectory);
        var configurationPath = context.WorkFile($"{label}.conf");
        await File.WriteAllTextAsync(configurationPath, configuration, context.CancellationToken).ConfigureAwait(false);
        var child = await ChildProcess.StartAsync(label, "mosquitto", ["-c", configurationPath], context.Root, logPath).ConfigureAwait(false);
        context.RecordCommand("server", label, child);
        try
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(StartTimeout.TotalSeconds * Stopwatch.Frequency);
            while (!ProcStats.IsListening(port))
            {
                CheckStarting(context, child, ServerKind.Mosquitto, deadline);
                await Task.Delay(25, context.CancellationToken).ConfigureAwait(false);
            }

            return new RunningServer(ServerKind.Mosquitto, child, [port], null, Stopwatch.GetTimestamp());
        }
        catch
        {
            await child.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<IReadOnlyList<int>> WaitForPortFileAsync(BenchContext context, ChildProcess child, ServerKind kind, string portFile, int expected)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(StartTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            CheckStarting(context, child, kind, deadline);
            if (File.Exists(portFile))
            {
                string[] lines;
                try
                {
                    lines = await File.ReadAllLinesAsync(portFile, context.CancellationToken).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    lines = [];
                }

                var ports = lines.Where(l => l.Trim().Length > 0)
                    .Select(l => int.TryParse(l.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : 0)
                    .ToList();
                if (ports.Count >= expected && ports.All(p => p > 0))
                {
                    return ports;
                }
            }

            await Task.Delay(10, context.CancellationToken).ConfigureAwait(false);
        }
    }

    private static void CheckStarting(BenchContext context, ChildProcess child, ServerKind kind, long deadline)
    {
        context.CancellationToken.ThrowIfCancellationRequested();
        if (child.HasExited)
        {
            throw new BenchException($"{kind.Name} ended at start with exit code {child.Exited.Result} ({child.CommandLine}): {child.StderrTail}");
        }

        if (Stopwatch.GetTimestamp() > deadline)
        {
            throw new BenchException($"{kind.Name} did not listen within {StartTimeout.TotalSeconds:0} s ({child.CommandLine}): {child.StderrTail}");
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
