using System.Text.Json;
using Tether.TestSupport;

namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>
/// One client program of the soak (<see cref="ClientPrograms.Client"/>) with its JSON events: waits read stdout on from
/// where the previous wait stopped, and every line is kept for the checks at the end. Disposing kills its process tree
/// (the example scripts start the language's runtime as a child) if it still runs.
/// </summary>
internal sealed class ClientSoakClient : IAsyncDisposable
{
    /// <summary>Bound on the first connection: the example script may first have to build its program.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Bound on every other wait: the longest step is a heartbeat timeout (3 s) and a reconnect.</summary>
    public static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(20);

    private readonly ChildProcess _process;

    private ClientSoakClient(ChildProcess process, string language)
    {
        _process = process;
        Language = language;
    }

    public string Language { get; }

    public StreamWriter Stdin => _process.Stdin;

    public IReadOnlyList<string> StdoutLines => _process.StdoutLines;

    public static ClientSoakClient Start(string language, IEnumerable<string> arguments) =>
        new(ChildProcess.Start(ClientPrograms.Client(language, arguments), $"the {language} client", outputLabel: language), language);

    /// <summary>The text of a <c>message</c> event line, or null for any other line.</summary>
    public static string? MessageData(string line)
    {
        var e = TryParse(line);
        return e is { } message && Name(message) == "message" && message.TryGetProperty("data", out var data) ? data.GetString() : null;
    }

    /// <summary>The <c>event</c> of a parsed event line.</summary>
    public static string? Name(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("event", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : null;

    /// <summary>Waits for the next event named one of <paramref name="names"/> and returns it.</summary>
    public async Task<JsonElement> WaitForEventAsync(IReadOnlyCollection<string> names, TimeSpan? timeout = null)
    {
        var line = await _process.WaitForLineAsync(OutputStream.Stdout, line => TryParse(line) is { } e && names.Contains(Name(e)), timeout ?? StepTimeout);
        return TryParse(line)!.Value;
    }

    /// <summary>Waits for the echo of line <paramref name="number"/> or of a later one.</summary>
    public Task WaitForEchoAsync(int number) =>
        _process.WaitForLineAsync(OutputStream.Stdout, line => ClientSoakLines.Number(MessageData(line)) >= number, StepTimeout);

    /// <summary>Every stdout line as an event; the first line that is not a JSON object with an event fails the test.</summary>
    public IReadOnlyList<JsonElement> Events()
    {
        var events = new List<JsonElement>();
        foreach (var line in StdoutLines)
        {
            var e = TryParse(line);
            Assert.True(e is { } parsed && Name(parsed) is not null, $"the {Language} client wrote a stdout line that is not a JSON event: {line}{Describe()}");
            events.Add(e!.Value);
        }

        return events;
    }

    /// <summary>Waits for the exit (and the end of both output streams) and returns the exit code.</summary>
    public Task<int> WaitForExitAsync() => _process.WaitForExitAsync(StepTimeout);

    public string Describe() => _process.Describe();

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static JsonElement? TryParse(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
