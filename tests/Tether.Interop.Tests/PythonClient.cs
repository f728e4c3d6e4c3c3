using System.Diagnostics;
using System.Text.Json;
using Tether.TestSupport;

namespace Tether.Interop.Tests;

/// <summary>
/// Runs <c>tests/interop/python/tether_client.py</c> (a Tether client written from docs/protocol.md alone) as a
/// <see cref="ChildProcess"/> and collects its JSON-lines events. Disposing kills the process if it is still running.
/// </summary>
internal sealed class PythonClient : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly ChildProcess _process;

    private PythonClient(ChildProcess process) => _process = process;

    /// <summary>Full path of <c>python3</c> on PATH, or null.</summary>
    public static string? Python3Path { get; } = InteropFiles.FindOnPath("python3");

    /// <summary>The client script, found by walking up from the test binaries to the directory holding Tether.slnx.</summary>
    public static string ScriptPath { get; } = InteropFiles.InRepository("python", "tether_client.py");

    public IReadOnlyList<string> StdoutLines => _process.StdoutLines;

    public IReadOnlyList<string> StderrLines => _process.StderrLines;

    public static PythonClient Start(int port, params string[] args)
    {
        var start = new ProcessStartInfo(Python3Path ?? "python3");
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

        return new PythonClient(ChildProcess.Start(start, "the Python client", outputLabel: "python"));
    }

    /// <summary>Waits (at most <see cref="Timeout"/>) for the exit and the end of both output streams.</summary>
    public Task<int> WaitForExitAsync() => _process.WaitForExitAsync(Timeout);

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

    public string Describe() => _process.Describe();

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
