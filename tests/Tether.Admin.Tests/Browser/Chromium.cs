using System.Diagnostics;
using Tether.TestSupport;

namespace Tether.Admin.Tests.Browser;

/// <summary>
/// A headless Chromium started for one test, driven over the DevTools protocol (no Playwright). Disposing closes the
/// DevTools connection, kills the browser's process tree and deletes its profile directory, whatever happened before.
/// </summary>
internal sealed class Chromium : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly ChildProcess _process;
    private readonly string _profile;

    private Chromium(ChildProcess process, string profile, DevToolsConnection devTools)
    {
        _process = process;
        _profile = profile;
        DevTools = devTools;
    }

    /// <summary>The browser's executable: $TETHER_CHROMIUM, else chromium (Debian) or chromium-browser on PATH; null if none.</summary>
    public static string? Executable { get; } = Locate();

    /// <summary>The browser-level DevTools connection.</summary>
    public DevToolsConnection DevTools { get; }

    public static async Task<Chromium> StartAsync()
    {
        var executable = Executable ?? throw new InvalidOperationException("no chromium binary");
        var profile = Directory.CreateTempSubdirectory("tether-chromium-").FullName;
        ChildProcess? process = null;
        try
        {
            var start = new ProcessStartInfo(executable)
            {
                ArgumentList =
                {
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0", "--user-data-dir=" + profile,
                    "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                    "--disable-dev-shm-usage", "--window-size=1280,1000", "about:blank",
                },
            };
            process = ChildProcess.Start(start, "chromium", "chromium");
            var endpoint = await ReadDevToolsEndpointAsync(profile, process);
            var devTools = await DevToolsConnection.ConnectAsync(endpoint, StartTimeout);
            return new Chromium(process, profile, devTools);
        }
        catch
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }

            DeleteProfile(profile);
            throw;
        }
    }

    /// <summary>Opens a new tab and attaches to it.</summary>
    public async Task<BrowserTab> OpenTabAsync()
    {
        var created = await DevTools.SendAsync("Target.createTarget", new { url = "about:blank" });
        var targetId = created.GetProperty("targetId").GetString()!;
        var attached = await DevTools.SendAsync("Target.attachToTarget", new { targetId, flatten = true });
        var tab = new BrowserTab(DevTools, attached.GetProperty("sessionId").GetString()!);
        await tab.SendAsync("Page.enable");
        await tab.SendAsync("Runtime.enable");
        return tab;
    }

    public async ValueTask DisposeAsync()
    {
        await DevTools.DisposeAsync();
        await _process.DisposeAsync();
        DeleteProfile(_profile);
    }

    // Chromium writes the port it picked, then the browser target's path, to DevToolsActivePort once it listens.
    private static async Task<Uri> ReadDevToolsEndpointAsync(string profile, ChildProcess process)
    {
        var file = Path.Combine(profile, "DevToolsActivePort");
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(file))
            {
                var lines = (await File.ReadAllLinesAsync(file)).Where(l => l.Length > 0).ToArray();
                if (lines.Length >= 2 && int.TryParse(lines[0], out var port))
                {
                    return new Uri($"ws://127.0.0.1:{port}{lines[1]}");
                }
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"chromium did not write {file} within {StartTimeout.TotalSeconds} s; {process.Describe()}");
    }

    private static void DeleteProfile(string profile)
    {
        try
        {
            Directory.Delete(profile, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a dying child: the temp dir is the OS's to clean then.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string? Locate()
    {
        var configured = Environment.GetEnvironmentVariable("TETHER_CHROMIUM");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured) ? configured : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var name in new[] { "chromium", "chromium-browser" })
        {
            foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = Path.Combine(directory, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
