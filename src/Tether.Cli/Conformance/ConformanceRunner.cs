using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;

namespace Tether.Cli.Conformance;

/// <summary>
/// Plays the scenarios of one role, one after the other, writes one line per scenario (text or JSON) and the
/// summary, and returns the exit code: 0 all passed, 1 some failed.
/// </summary>
internal sealed class ConformanceRunner
{
    private readonly RunSettings _settings;
    private readonly TextWriter _output;
    private readonly bool _json;

    public ConformanceRunner(RunSettings settings, TextWriter output, bool json)
    {
        _settings = settings;
        _output = output;
        _json = json;
    }

    public async Task<int> RunAsync(IReadOnlyList<Scenario> scenarios, CancellationToken cancellationToken)
    {
        if (_settings.TargetHost is { } host)
        {
            await ProbeAsync(host, _settings.TargetPort, cancellationToken).ConfigureAwait(false);
        }

        var results = new List<ScenarioResult>();
        foreach (var scenario in scenarios)
        {
            var result = await PlayAsync(scenario, results.Count == 0, cancellationToken).ConfigureAwait(false);
            results.Add(result);
            await WriteResultAsync(result).ConfigureAwait(false);
        }

        var failed = results.Count(r => !r.Passed);
        await _output.WriteLineAsync(_json
            ? JsonSerializer.Serialize(new Dictionary<string, object> { ["summary"] = true, ["passed"] = results.Count - failed, ["failed"] = failed })
            : $"conformance: {results.Count - failed} passed, {failed} failed").ConfigureAwait(false);
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        // 1 for "some failed", like a test runner; 2 stays for a run that could not happen at all.
        return failed == 0 ? ExitCodes.Success : ExitCodes.Usage;
    }

    private async Task<ScenarioResult> PlayAsync(Scenario scenario, bool first, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var run = new ScenarioRun(scenario, _settings, first);
        try
        {
            await run.RunAsync(cancellationToken).ConfigureAwait(false);
            return new ScenarioResult(scenario.Name, null, Stopwatch.GetElapsedTime(started));
        }
        catch (ScenarioFailure ex)
        {
            return new ScenarioResult(scenario.Name, ex.Message, Stopwatch.GetElapsedTime(started));
        }
        finally
        {
            await run.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task WriteResultAsync(ScenarioResult result)
    {
        var line = _json
            ? JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["scenario"] = result.Name,
                ["passed"] = result.Passed,
                ["failure"] = result.Failure,
                ["ms"] = Math.Round(result.Duration.TotalMilliseconds),
            })
            : result.Passed ? $"pass {result.Name}" : $"FAIL {result.Name}: {result.Failure}";
        await _output.WriteLineAsync(line).ConfigureAwait(false);
        await _output.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>A server that cannot be reached at all makes every scenario fail the same way: say so once instead.</summary>
    private static async Task ProbeAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            throw new ConformanceRunException($"cannot connect to {host}:{port}: {(ex is OperationCanceledException ? "timed out" : ex.Message)}");
        }

        // Closed at once without a frame; the server counts it as a connection that never said HELLO.
        socket.LingerState = new LingerOption(true, 0);
    }
}
