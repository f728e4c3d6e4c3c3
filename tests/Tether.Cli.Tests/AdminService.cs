using System.Globalization;
using System.Net.Http.Headers;

namespace Tether.Cli.Tests;

/// <summary>
/// A <c>tether serve --admin 127.0.0.1:0 --api-key-file KEY</c> process (key file and port file deleted with it): its
/// Tether port, its admin address from the line it prints, and an HTTP client that sends the key.
/// </summary>
internal sealed class AdminService : IAsyncDisposable
{
    private readonly string _keyFile;
    private readonly string _portFile;

    private AdminService(CliProcess process, string keyFile, string portFile, int port, Uri admin, string key)
    {
        Process = process;
        _keyFile = keyFile;
        _portFile = portFile;
        Port = port;
        Admin = admin;
        Key = key;
    }

    public CliProcess Process { get; }

    public int Port { get; }

    public Uri Admin { get; }

    public string Key { get; }

    public static async Task<AdminService> StartAsync(params string[] extra)
    {
        var keyFile = Path.Combine(Path.GetTempPath(), $"tether-cli-test-{Guid.NewGuid():N}.key");
        var portFile = Path.Combine(Path.GetTempPath(), $"tether-cli-test-{Guid.NewGuid():N}.port");
        var key = Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(keyFile, key + "\n");
        var process = CliProcess.Start(["serve", "--listen", "127.0.0.1:0", "--port-file", portFile, "--admin", "127.0.0.1:0", "--api-key-file", keyFile, .. extra]);
        var line = await process.WaitForStderrAsync(text => text.StartsWith("tether: admin on http://", StringComparison.Ordinal));
        var url = line["tether: admin on ".Length..line.IndexOf(' ', "tether: admin on ".Length)];
        return new AdminService(process, keyFile, portFile, PortFiles.Read(portFile), new Uri(url), key);
    }

    public HttpClient Http()
    {
        var http = new HttpClient { BaseAddress = Admin, Timeout = CliProcess.Timeout };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        return http;
    }

    public string Endpoint => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        File.Delete(_keyFile);
        File.Delete(_portFile);
    }
}
