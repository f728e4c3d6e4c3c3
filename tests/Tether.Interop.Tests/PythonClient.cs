using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Tether.Interop.Tests;

/// <summary>
/// Runs <c>tests/interop/python/tether_client.py</c> (a Tether client written from docs/protocol.md alone) as a child
/// process and collects its JSON-lines events. Disposing kills the process if it is still running.
/// </summary>
internal sealed class PythonClient : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly TaskCompletionSource _stdoutDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PythonClient(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Add(_stdout, _stdoutDone, e.Data);
        _process.ErrorDataReceived += (_, e) => Add(_stderr, _stderrDone, e.Data);
    }

    /// <summary>Full path of <c>python3</c> on PATH, or null.</summary>
    public static string? Python3Path { get; } = FindOnPath("python3");

    /// <summary>The client script, found by walking up from the test binaries to the directory holding Tether.slnx.</summary>
    public static string ScriptPath { get; } = FindScript();

    public IReadOnlyList<string> StdoutLines => [.. _stdout];

    public IReadOnlyList<string> StderrLines => [.. _stderr];

    public static PythonClient Start(int port, params string[] args)
    {
        var start = new ProcessStartInfo(Python3Path ?? "python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.Environment["PYTHONUNBUFFERED"] = "1";
        start.Environment["PYTHONIOENCODING"] = "utf-8";
        start.Environment["PYTHONUTF8"] = "1";
        start.ArgumentList.Add(ScriptPath);
        start.ArgumentList.Add("--host");
        start.ArgumentList.Add("127.0.0.1");
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start };
        var client = new PythonClient(process);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return client;
    }

    /// <summary>Waits (at most <see cref="Timeout"/>) for the exit and the end of both output streams.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            await Task.WhenAll(_stdoutDone.Task, _stderrDone.Task).WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the Python client did not exit within {Timeout.TotalSeconds} s{Describe()}");
        }

        return _process.ExitCode;
    }

    /// <summary>The stdout lines parsed as JSON events.</summary>
    public IReadOnlyList<JsonElement> Events()
    {
        var events = new List<JsonElement>();
        foreach (var line in StdoutLines)
        {
            using var doc = JsonDocument.Parse(line);
            events.Add(doc.RootElement.Clone());
        }

        return events;
    }

    public IReadOnlyList<JsonElement> Events(string name) =>
        [.. Events().Where(e => e.GetProperty("event").GetString() == name)];

    public string Describe() =>
        $"{Environment.NewLine}--- python stdout ---{Environment.NewLine}{string.Join(Environment.NewLine, StdoutLines)}"
        + $"{Environment.NewLine}--- python stderr ---{Environment.NewLine}{string.Join(Environment.NewLine, StderrLines)}";

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var timeout = new CancellationTokenSource(Timeout);
                await _process.WaitForExitAsync(timeout.Token);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started, or already gone.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static void Add(ConcurrentQueue<string> lines, TaskCompletionSource done, string? line)
    {
        if (line is null)
        {
            done.TrySetResult();
        }
        else
        {
            lines.Enqueue(line);
        }
    }

    private static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var candidate in new[] { Path.Combine(dir, name), Path.Combine(dir, name + ".exe") })
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tether.slnx")))
            {
                return Path.Combine(dir.FullName, "tests", "interop", "python", "tether_client.py");
            }
        }

        throw new FileNotFoundException($"Tether.slnx not found above {AppContext.BaseDirectory}; cannot locate tether_client.py");
    }
}
