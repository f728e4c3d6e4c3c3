using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;

namespace Tether.Cli.Conformance;

/// <summary>Step parameters shared by several ops: connection names, timing (within, minMs, since) and ignore lists.</summary>
internal sealed partial class ScenarioRun
{
    private ClientProgram Program => _program ?? throw new ScenarioFileException("stdin and program events are for client scenarios");

    /// <summary>The name a connect or accept step gives the connection it opens ("conn", default "main").</summary>
    private static string ConnectionName(JsonElement step) => step.TryGetProperty("conn", out var conn) ? conn.GetString()! : "main";

    private void Open(string name, Socket socket)
    {
        if (_connections.Remove(name, out var previous))
        {
            // A reused name (e.g. each reconnect accepted as "main") drops the old connection's reader.
            _ = previous.DisposeAsync().AsTask();
        }

        _connections[name] = new PeerConnection(socket, _scenario.AutoPong, name, _settings.Trace);
        _current = name;
    }

    /// <summary>The connection a step names with "conn"; without one, the connection opened last.</summary>
    private PeerConnection Connection(JsonElement step)
    {
        var name = step.TryGetProperty("conn", out var conn) ? conn.GetString()! : _current;
        return _connections.GetValueOrDefault(name) ?? throw new ScenarioFileException($"no connection named {name} is open");
    }

    /// <summary>When the step's clock starts: the named mark ("since"), else now.</summary>
    private long Reference(JsonElement step)
    {
        if (!step.TryGetProperty("since", out var since))
        {
            return Stopwatch.GetTimestamp();
        }

        var name = since.GetString()!;
        return _marks.TryGetValue(name, out var mark) ? mark : throw new ScenarioFileException($"no mark named {name}");
    }

    /// <summary>The step's upper time limit ("withinMs"), scaled by --timeout-scale.</summary>
    private TimeSpan Within(JsonElement step, int fallbackMs)
    {
        var ms = step.TryGetProperty("withinMs", out var within) ? _variables.Number(within, "withinMs") : fallbackMs;
        return TimeSpan.FromMilliseconds((double)ms * _settings.TimeoutScale);
    }

    private TimeSpan Milliseconds(JsonElement step, string name) =>
        TimeSpan.FromMilliseconds((double)_variables.Number(step.GetProperty(name), name));

    private static TimeSpan Remaining(long reference, TimeSpan within)
    {
        var left = within - Stopwatch.GetElapsedTime(reference);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>Enforces "minMs": what came must not have come sooner than that after the step's reference.</summary>
    private void CheckNotBefore(JsonElement step, long reference, long arrived, string what)
    {
        if (!step.TryGetProperty("minMs", out var minElement))
        {
            return;
        }

        var min = (double)_variables.Number(minElement, "minMs");
        var elapsed = Stopwatch.GetElapsedTime(reference, arrived).TotalMilliseconds;
        if (elapsed < min)
        {
            throw new ScenarioFailure($"expected {what} no sooner than {min:0} ms, it came after {elapsed:0} ms");
        }
    }

    /// <summary>Frame types the step passes over (its "ignore", else the scenario's, by default PING and PONG).</summary>
    private bool Ignored(JsonElement step, string type) => step.TryGetProperty("ignore", out var ignore)
        ? ignore.EnumerateArray().Any(e => e.GetString() == type)
        : _scenario.Ignore.Contains(type);

    private static string Describe(JsonElement expected)
    {
        var parts = expected.EnumerateObject().Where(p => p.Name != "type").Select(p => $"{p.Name}: {JsonSerializer.Serialize(p.Value)}").ToList();
        return parts.Count == 0 ? string.Empty : "{" + string.Join(", ", parts) + "}";
    }
}
