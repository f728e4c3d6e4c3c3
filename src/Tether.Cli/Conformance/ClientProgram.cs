using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace Tether.Cli.Conformance;

/// <summary>
/// The client program under test, started once per scenario: stdin lines are its messages, stdout lines its JSON
/// events. Disposing kills it with its whole process tree (an example script may run a build, then the program).
/// </summary>
internal sealed class ClientProgram : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<ClientEvent> _events = Channel.CreateUnbounded<ClientEvent>();
    private readonly List<string> _stderr = [];
    private readonly List<string> _badLines = [];
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;

    private readonly Action<string>? _trace;

    private ClientProgram(Process process, Action<string>? trace)
    {
        _process = process;
        _trace = trace;
        _stdoutPump = Task.Run(PumpStdoutAsync);
        _stderrPump = Task.Run(PumpStderrAsync);
    }

    public static ClientProgram Start(IReadOnlyList<string> command, IEnumerable<string> arguments, Action<string>? trace)
    {
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in command.Skip(1).Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            var process = Process.Start(start) ?? throw new ConformanceRunException($"could not start {command[0]}");
            // Lines go out as the program expects them: UTF-8 without a byte order mark, "\n" endings.
            process.StandardInput.AutoFlush = true;
            process.StandardInput.NewLine = "\n";
            trace?.Invoke($"program started: {string.Join(' ', start.ArgumentList.Prepend(command[0]))}");
            return new ClientProgram(process, trace);
        }
        catch (Win32Exception ex)
        {
            throw new ConformanceRunException($"could not start {command[0]}: {ex.Message}");
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the program wrote on stderr, for a failure message.</summary>
    public string StderrTail()
    {
        lock (_stderr)
        {
            return string.Join(" | ", _stderr.TakeLast(3));
        }
    }

    public async Task WriteLineAsync(string line)
    {
        _trace?.Invoke($"program stdin: {(line.Length > 60 ? line[..57] + "..." : line)}");
        try
        {
            await _process.StandardInput.WriteLineAsync(line).ConfigureAwait(false);
        }
        catch (IOException)
        {
            throw new ScenarioFailure($"the program's stdin is closed (it exited?) {StderrTail()}");
        }
    }

    public void CloseStdin() => _process.StandardInput.Close();

    /// <summary>The next event, or null when none came before <paramref name="deadline"/> or stdout ended.</summary>
    public async Task<ClientEvent?> NextEventAsync(long deadline, CancellationToken cancellationToken)
    {
        if (_events.Reader.TryRead(out var ready))
        {
            return ready;
        }

        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
        if (remaining <= TimeSpan.Zero)
        {
            return null;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(remaining);
        try
        {
            return await _events.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>A stdout line that was not a JSON event, if any: the contract says every line is one.</summary>
    public string? FirstBadLine()
    {
        lock (_badLines)
        {
            return _badLines.Count > 0 ? _badLines[0] : null;
        }
    }

    /// <summary>The exit code, or null when it did not exit before <paramref name="deadline"/>.</summary>
    public async Task<int?> WaitForExitAsync(long deadline, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
        timeout.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            return _process.ExitCode;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or OperationCanceledException)
        {
            // Already gone, or refusing to die within 10 s: nothing more this runner can do.
        }

        await Task.WhenAny(Task.WhenAll(_stdoutPump, _stderrPump), Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        _process.Dispose();
    }

    private async Task PumpStdoutAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                _trace?.Invoke($"program: {line}");
                if (ClientEvent.Parse(Stopwatch.GetTimestamp(), line) is { } parsed)
                {
                    _events.Writer.TryWrite(parsed);
                }
                else
                {
                    lock (_badLines)
                    {
                        _badLines.Add(line);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    private async Task PumpStderrAsync()
    {
        try
        {
            while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                _trace?.Invoke($"program stderr: {line}");
                lock (_stderr)
                {
                    _stderr.Add(line);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }
}
