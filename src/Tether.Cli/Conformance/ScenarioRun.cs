using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Tether.Cli.Conformance;

/// <summary>
/// Plays one scenario: runs its steps in order and throws <see cref="ScenarioFailure"/> at the first one whose
/// expectation is not met. Owns every connection, listener and program of the scenario and ends them on dispose.
/// </summary>
internal sealed partial class ScenarioRun : IAsyncDisposable
{
    private const int DefaultWithinMs = 3000;

    private readonly Scenario _scenario;
    private readonly RunSettings _settings;
    private readonly ScenarioVariables _variables = new();
    private readonly FrameEncoder _encoder;
    private readonly Dictionary<string, PeerConnection> _connections = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TcpListener> _listeners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _marks = new(StringComparer.Ordinal);
    private readonly bool _firstOfRun;
    private ClientProgram? _program;
    private string _current = "main";
    private bool _accepted;

    public ScenarioRun(Scenario scenario, RunSettings settings, bool firstOfRun)
    {
        _scenario = scenario;
        _settings = settings;
        _firstOfRun = firstOfRun;
        _encoder = new FrameEncoder(_variables);
        _variables.Set("handshakeTimeoutMs", (decimal)settings.HandshakeTimeout.TotalMilliseconds);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (_scenario.Role == ScenarioRole.Client)
        {
            StartClient();
        }

        for (var i = 0; i < _scenario.Steps.Count; i++)
        {
            var step = _scenario.Steps[i];
            var op = step.GetProperty("op").GetString()!;
            try
            {
                var markTime = await RunStepAsync(op, step, cancellationToken).ConfigureAwait(false);
                if (step.TryGetProperty("mark", out var mark))
                {
                    _marks[mark.GetString()!] = markTime;
                }
            }
            catch (ScenarioFailure ex)
            {
                var stderr = _program?.StderrTail() is { Length: > 0 } tail ? $" (program stderr: {tail})" : string.Empty;
                throw new ScenarioFailure($"step {i + 1} {op}: {ex.Message}{stderr}");
            }
            catch (ScenarioFileException ex)
            {
                throw new ScenarioFileException($"{_scenario.Name}: step {i + 1} {op}: {ex.Message}");
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
            {
                // A required field missing (GetProperty) or of the wrong JSON kind: the file is wrong, not the peer.
                throw new ScenarioFileException($"{_scenario.Name}: step {i + 1} {op}: a field is missing or has the wrong type ({ex.Message})");
            }
        }

        if (_program?.FirstBadLine() is { } bad)
        {
            throw new ScenarioFailure($"the program wrote a stdout line that is not a JSON event: {bad}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_program is not null)
        {
            await _program.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var connection in _connections.Values)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var listener in _listeners.Values)
        {
            listener.Dispose();
        }
    }

    private void StartClient()
    {
        foreach (var name in _scenario.Endpoints)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            _listeners[name] = listener;
            _variables.Set($"endpoint.{name}", $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture)}");
        }

        var arguments = _scenario.ClientArgs.Append((string)_variables.Get($"endpoint.{_scenario.Endpoints[0]}"));
        _program = ClientProgram.Start(_settings.Command, arguments, _settings.Trace);
    }

    private Task<long> RunStepAsync(string op, JsonElement step, CancellationToken cancellationToken) => op switch
    {
        "connect" => ConnectAsync(step, cancellationToken),
        "accept" => AcceptAsync(step, cancellationToken),
        "expectNoAccept" => ExpectNoAcceptAsync(step, cancellationToken),
        "send" => SendAsync(step, cancellationToken),
        "expect" => ExpectFrameAsync(step, step.GetProperty("frame"), cancellationToken),
        "expectClose" => ExpectCloseAsync(step, cancellationToken),
        "expectEnd" => ExpectEndAsync(step, cancellationToken),
        "expectSilence" => ExpectSilenceAsync(step, cancellationToken),
        "disconnect" => DisconnectAsync(step),
        "sleep" => SleepAsync(step, cancellationToken),
        "stdin" => StdinAsync(step),
        "closeStdin" => CloseStdinAsync(),
        "expectEvent" => ExpectEventAsync(step, cancellationToken),
        _ => ExpectExitAsync(step, cancellationToken),
    };

    private async Task<long> ConnectAsync(JsonElement step, CancellationToken cancellationToken)
    {
        var name = ConnectionName(step);
        var host = _settings.TargetHost ?? throw new ScenarioFileException("connect is for server scenarios");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Within(step, 5000));
            await socket.ConnectAsync(host, _settings.TargetPort, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            throw new ScenarioFailure($"could not connect to {host}:{_settings.TargetPort}: {ex.Message}");
        }

        Open(name, socket);
        return Stopwatch.GetTimestamp();
    }

    private async Task<long> AcceptAsync(JsonElement step, CancellationToken cancellationToken)
    {
        var name = ConnectionName(step);
        var endpoint = step.TryGetProperty("endpoint", out var e) ? e.GetString()! : _scenario.Endpoints[0];
        var listener = _listeners.GetValueOrDefault(endpoint) ?? throw new ScenarioFileException($"no endpoint named {endpoint}");
        var reference = Reference(step);
        var within = Within(step, DefaultWithinMs);
        if (!_accepted)
        {
            // The program's first connection also waits for the program to start (and, first of a run, to build).
            var startup = _firstOfRun ? _settings.FirstStartup : _settings.Startup * _settings.TimeoutScale;
            within = within > startup ? within : startup;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Remaining(reference, within));
        Socket socket;
        try
        {
            socket = await listener.AcceptSocketAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var exited = _program is { HasExited: true } ? " (the program has exited)" : string.Empty;
            throw new ScenarioFailure($"expected a connection on {endpoint} within {within.TotalMilliseconds:0} ms, none came{exited}");
        }

        var arrived = Stopwatch.GetTimestamp();
        _accepted = true;
        Open(name, socket);
        CheckNotBefore(step, reference, arrived, $"a connection on {endpoint}");
        return arrived;
    }

    private async Task<long> ExpectNoAcceptAsync(JsonElement step, CancellationToken cancellationToken)
    {
        var endpoint = step.TryGetProperty("endpoint", out var e) ? e.GetString()! : _scenario.Endpoints[0];
        var listener = _listeners.GetValueOrDefault(endpoint) ?? throw new ScenarioFileException($"no endpoint named {endpoint}");
        var ms = Milliseconds(step, "ms");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ms);
        try
        {
            using var socket = await listener.AcceptSocketAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Stopwatch.GetTimestamp();
        }

        throw new ScenarioFailure($"expected no connection on {endpoint} for {ms.TotalMilliseconds:0} ms, one came");
    }

    private async Task<long> SendAsync(JsonElement step, CancellationToken cancellationToken)
    {
        var bytes = _encoder.Encode(step.GetProperty("frame"));
        await Connection(step).SendAsync(bytes, cancellationToken).ConfigureAwait(false);
        return Stopwatch.GetTimestamp();
    }

    private Task<long> ExpectCloseAsync(JsonElement step, CancellationToken cancellationToken)
    {
        // {"op": "expectClose", "code": 1002} is short for expect {"type": "CLOSE", "code": 1002}.
        using var frame = JsonDocument.Parse($"{{\"type\":\"CLOSE\",\"code\":{step.GetProperty("code").GetRawText()}}}");
        return ExpectFrameAsync(step, frame.RootElement.Clone(), cancellationToken);
    }

    private async Task<long> ExpectFrameAsync(JsonElement step, JsonElement expected, CancellationToken cancellationToken)
    {
        var type = FrameNames.Of(FrameNames.Parse(expected.GetProperty("type")));
        var connection = Connection(step);
        var reference = Reference(step);
        var within = Within(step, DefaultWithinMs);
        var deadline = reference + (long)(within.TotalSeconds * Stopwatch.Frequency);
        var expectation = $"{type} {Describe(expected)} within {within.TotalMilliseconds:0} ms";
        while (true)
        {
            var item = await connection.NextAsync(deadline, cancellationToken).ConfigureAwait(false)
                ?? throw new ScenarioFailure($"expected {expectation}, nothing came");
            if (item is ReceivedFrame frame && frame.Type != type && Ignored(step, frame.Type))
            {
                continue;
            }

            if (item is not ReceivedFrame received || received.Type != type)
            {
                throw new ScenarioFailure($"expected {expectation}, got {item}");
            }

            foreach (var property in expected.EnumerateObject().Where(p => p.Name != "type"))
            {
                if (!received.Fields.TryGetValue(property.Name, out var actual))
                {
                    throw new ScenarioFileException($"a {type} frame has no field \"{property.Name}\"");
                }

                if (ValueMatcher.Mismatch(property.Value, actual, _variables) is { } wanted)
                {
                    throw new ScenarioFailure($"expected {type} with {property.Name} {wanted}, got {received}");
                }
            }

            CheckNotBefore(step, reference, received.Timestamp, type);
            return received.Timestamp;
        }
    }

    private async Task<long> ExpectEndAsync(JsonElement step, CancellationToken cancellationToken)
    {
        var connection = Connection(step);
        var reference = Reference(step);
        var within = Within(step, DefaultWithinMs);
        var deadline = reference + (long)(within.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var item = await connection.NextAsync(deadline, cancellationToken).ConfigureAwait(false)
                ?? throw new ScenarioFailure($"expected the connection to end within {within.TotalMilliseconds:0} ms, it stayed open");
            switch (item)
            {
                case ConnectionEnd end:
                    CheckNotBefore(step, reference, end.Timestamp, "the end of the connection");
                    return end.Timestamp;
                case ReceivedFrame frame when Ignored(step, frame.Type):
                    continue;
                default:
                    throw new ScenarioFailure($"expected the connection to end without a frame, got {item}");
            }
        }
    }

    private async Task<long> ExpectSilenceAsync(JsonElement step, CancellationToken cancellationToken)
    {
        var connection = Connection(step);
        var ms = Milliseconds(step, "ms");
        var deadline = Stopwatch.GetTimestamp() + (long)(ms.TotalSeconds * Stopwatch.Frequency);
        while (await connection.NextAsync(deadline, cancellationToken).ConfigureAwait(false) is { } item)
        {
            if (item is ReceivedFrame frame && Ignored(step, frame.Type))
            {
                continue;
            }

            throw new ScenarioFailure($"expected nothing for {ms.TotalMilliseconds:0} ms, got {item}");
        }

        return Stopwatch.GetTimestamp();
    }

    private Task<long> DisconnectAsync(JsonElement step)
    {
        var how = step.TryGetProperty("how", out var h) ? h.GetString()! : "reset";
        if (how is not ("reset" or "fin"))
        {
            throw new ScenarioFileException("how must be \"reset\" or \"fin\"");
        }

        Connection(step).Disconnect(how);
        return Task.FromResult(Stopwatch.GetTimestamp());
    }

    private async Task<long> SleepAsync(JsonElement step, CancellationToken cancellationToken)
    {
        await Task.Delay(Milliseconds(step, "ms"), cancellationToken).ConfigureAwait(false);
        return Stopwatch.GetTimestamp();
    }

    private async Task<long> StdinAsync(JsonElement step)
    {
        foreach (var line in step.GetProperty("lines").EnumerateArray())
        {
            var text = line.ValueKind == JsonValueKind.Object && line.TryGetProperty("pattern", out var pattern)
                ? PatternPayload.Text((int)_variables.Number(pattern, "pattern"))
                : _variables.Text(line, "lines");
            await Program.WriteLineAsync(text).ConfigureAwait(false);
        }

        return Stopwatch.GetTimestamp();
    }

    private Task<long> CloseStdinAsync()
    {
        Program.CloseStdin();
        return Task.FromResult(Stopwatch.GetTimestamp());
    }

    private async Task<long> ExpectEventAsync(JsonElement step, CancellationToken cancellationToken)
    {
        var name = step.GetProperty("event").GetString()!;
        var fields = step.TryGetProperty("fields", out var f) ? f : default;
        var reference = Reference(step);
        var within = Within(step, DefaultWithinMs);
        var deadline = reference + (long)(within.TotalSeconds * Stopwatch.Frequency);
        var expectation = fields.ValueKind == JsonValueKind.Object ? $"{name} {Describe(fields)}" : name;
        while (true)
        {
            var received = await Program.NextEventAsync(deadline, cancellationToken).ConfigureAwait(false)
                ?? throw new ScenarioFailure($"expected event {expectation} within {within.TotalMilliseconds:0} ms, none came{(Program.HasExited ? " (the program has exited)" : string.Empty)}");
            if (received.Name != name)
            {
                continue;
            }

            if (fields.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in fields.EnumerateObject())
                {
                    if (ValueMatcher.Mismatch(property.Value, received.Fields.GetValueOrDefault(property.Name), _variables) is { } wanted)
                    {
                        throw new ScenarioFailure($"expected event {name} with {property.Name} {wanted}, got {received.Line}");
                    }
                }
            }

            CheckNotBefore(step, reference, received.Timestamp, $"event {name}");
            return received.Timestamp;
        }
    }

    private async Task<long> ExpectExitAsync(JsonElement step, CancellationToken cancellationToken)
    {
        var within = Within(step, DefaultWithinMs);
        var deadline = Stopwatch.GetTimestamp() + (long)(within.TotalSeconds * Stopwatch.Frequency);
        var code = await Program.WaitForExitAsync(deadline, cancellationToken).ConfigureAwait(false)
            ?? throw new ScenarioFailure($"expected the program to exit within {within.TotalMilliseconds:0} ms, it is still running");
        if (step.TryGetProperty("code", out var expected) && ValueMatcher.Mismatch(expected, (decimal)code, _variables) is { } wanted)
        {
            throw new ScenarioFailure($"expected exit code {wanted}, got {code}");
        }

        return Stopwatch.GetTimestamp();
    }
}
