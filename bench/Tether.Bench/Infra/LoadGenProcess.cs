using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tether.Bench.Infra;

/// <summary>
/// One load-generator process (bench/Tether.LoadGen, see bench/CONTRACT.md): started with a mode and options, it
/// reports <c>ready</c>, <c>progress</c> and <c>result</c> events as JSON lines on stdout. Closing its stdin ends it
/// early, and it still prints its result.
/// </summary>
internal sealed class LoadGenProcess : IAsyncDisposable
{
    private readonly TaskCompletionSource<JsonObject> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<JsonObject> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private JsonObject? _lastProgress;
    private ChildProcess? _process;

    private LoadGenProcess(string label) => Label = label;

    public string Label { get; }

    public ChildProcess Process => _process ?? throw new InvalidOperationException("not started");

    public Task<JsonObject> Ready => _ready.Task;

    public Task<JsonObject> Result => _result.Task;

    /// <summary>The latest progress (or ready) event, if any.</summary>
    public JsonObject? LastProgress
    {
        get
        {
            lock (_lock)
            {
                return _lastProgress;
            }
        }
    }

    /// <summary>Starts <c>Tether.LoadGen &lt;mode&gt; --target T --protocol P [--source S] options...</c>.</summary>
    public static async Task<LoadGenProcess> StartAsync(BenchContext context, string label, string mode, string target, string protocol, string? source,
        IEnumerable<string> options)
    {
        context.CancellationToken.ThrowIfCancellationRequested();
        var loadGen = new LoadGenProcess(label);
        List<string> arguments = [Binaries.LoadGen.FullDllPath(context.Root), mode, "--target", target, "--protocol", protocol];
        if (source is not null)
        {
            arguments.AddRange(["--source", source]);
        }

        arguments.AddRange(options);
        loadGen._process = await ChildProcess.StartAsync(label, "dotnet", arguments, context.Root, context.WorkFile($"{label}.log"), loadGen.OnLine).ConfigureAwait(false);
        context.RecordCommand("loadgen", label, loadGen._process);
        _ = loadGen.WatchExitAsync();
        return loadGen;
    }

    /// <summary>The source address for the <paramref name="index"/>-th process: 127.0.0.2 .. 127.0.0.9, then round again.</summary>
    public static string SourceAddress(int index) => $"127.0.0.{(2 + (index % 8)).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Splits <paramref name="total"/> connections over <paramref name="processes"/> as evenly as possible.</summary>
    public static int[] Split(int total, int processes)
    {
        var shares = new int[processes];
        for (var i = 0; i < processes; i++)
        {
            shares[i] = (total / processes) + (i < total % processes ? 1 : 0);
        }

        return shares;
    }

    /// <summary>Ends the run (stdin closed) and waits for the result; SIGTERM, then SIGKILL if it does not come.</summary>
    public async Task<JsonObject> StopAsync(TimeSpan timeout)
    {
        var process = Process;
        process.CloseStdin();
        if (await Task.WhenAny(Result, Task.Delay(timeout)).ConfigureAwait(false) != Result)
        {
            process.Signal("TERM");
            if (await Task.WhenAny(Result, Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false) != Result)
            {
                await process.DisposeAsync().ConfigureAwait(false);
                throw new BenchException($"load generator {Label} printed no result within {timeout.TotalSeconds + 10:0} s of being stopped: {process.StderrTail}");
            }
        }

        await process.WaitForExitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
        return await Result.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void OnLine(string line)
    {
        if (line.Length == 0 || line[0] != '{')
        {
            return;
        }

        JsonObject? message;
        try
        {
            message = JsonNode.Parse(line) as JsonObject;
        }
        catch (JsonException)
        {
            return;
        }

        switch (message?["event"]?.GetValue<string>())
        {
            case "ready":
                lock (_lock)
                {
                    _lastProgress = message;
                }

                _ready.TrySetResult(message);
                break;
            case "progress":
                lock (_lock)
                {
                    _lastProgress = message;
                }

                break;
            case "result":
                _result.TrySetResult(message);
                break;
        }
    }

    private async Task WatchExitAsync()
    {
        var code = await Process.Exited.ConfigureAwait(false);
        // stdout is fully read when Exited completes, so a missing event now will never come.
        var failure = new BenchException($"load generator {Label} ended with exit code {code} {(Result.IsCompleted ? "" : "without a result")}: {Process.StderrTail}");
        _ready.TrySetException(failure);
        _result.TrySetException(failure);
    }
}
