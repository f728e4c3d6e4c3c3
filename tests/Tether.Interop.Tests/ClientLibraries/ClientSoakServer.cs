using System.Globalization;
using Tether.TestSupport;

namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>
/// <c>tether serve</c> (the echo server) as a real process on a free loopback port, logging at info level to stdout,
/// where its view of the sessions (resumed, lost) can be read once it has stopped. Disposing kills it if it still runs.
/// </summary>
internal sealed class ClientSoakServer : IAsyncDisposable
{
    private const int SigTerm = 15;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly ChildProcess _process;
    private readonly string _portFile;

    private ClientSoakServer(ChildProcess process, string portFile, int port)
    {
        _process = process;
        _portFile = portFile;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Starts the server with <paramref name="arguments"/> added, and waits until it listens.</summary>
    public static async Task<ClientSoakServer> StartAsync(params string[] arguments)
    {
        var portFile = Path.Combine(Path.GetTempPath(), $"tether-client-soak-{Guid.NewGuid():N}.port");
        var process = ChildProcess.Start(
            ClientPrograms.Cli(["serve", "--listen", "127.0.0.1:0", "--port-file", portFile, .. arguments]),
            "tether serve",
            outputLabel: "server");
        try
        {
            await process.WaitForLineAsync(OutputStream.Stderr, line => line.StartsWith("tether: listening on ", StringComparison.Ordinal), Timeout);
            var port = int.Parse(File.ReadAllLines(portFile)[0], CultureInfo.InvariantCulture);
            return new ClientSoakServer(process, portFile, port);
        }
        catch
        {
            await process.DisposeAsync();
            File.Delete(portFile);
            throw;
        }
    }

    /// <summary>Stops the server as a service manager would (SIGTERM) and returns its log, complete.</summary>
    public async Task<IReadOnlyList<string>> StopAsync()
    {
        _process.Signal(SigTerm);
        await _process.WaitForExitAsync(Timeout);
        return _process.StdoutLines;
    }

    public string Describe() => _process.Describe();

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        File.Delete(_portFile);
    }
}
