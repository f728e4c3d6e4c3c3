using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Tether.Bench.Infra;

/// <summary>
/// One process the orchestrator started (a server or a load generator). Its stdout lines go to a callback, both
/// streams to a log file, and the last stderr lines are kept for error messages. Every child is registered so that
/// none outlives the orchestrator: disposing kills it (and its descendants) if it still runs, and
/// <see cref="KillAll"/> runs on exit, Ctrl-C and errors. Where <c>setpriv</c> exists, the child is also started with
/// a parent-death signal (SIGKILL), from one long-lived thread, so that even a SIGKILLed orchestrator leaves nothing.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private const int StderrTailLines = 30;

    private static readonly ConcurrentDictionary<int, ChildProcess> Live = new();
    private static readonly BlockingCollection<Action> SpawnQueue = [];
    private static readonly string? SetPriv = FindSetPriv();

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Queue<string> _stderrTail = new();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private int _disposed;

    static ChildProcess()
    {
        // The parent-death signal fires when the *thread* that forked the child ends, so every fork happens on this
        // one thread, which lives as long as the orchestrator.
        var spawner = new Thread(() =>
        {
            foreach (var work in SpawnQueue.GetConsumingEnumerable())
            {
                work();
            }
        })
        {
            IsBackground = true,
            Name = "child spawner",
        };
        spawner.Start();
    }

    private ChildProcess(string label, string commandLine, Process process, StreamWriter log, Action<string>? onStdoutLine)
    {
        Label = label;
        CommandLine = commandLine;
        _process = process;
        _log = log;
        Pid = process.Id;
        _stdoutPump = PumpAsync(process.StandardOutput, "out", onStdoutLine);
        _stderrPump = PumpAsync(process.StandardError, "err", line =>
        {
            lock (_stderrTail)
            {
                LastStderrTimestamp = Stopwatch.GetTimestamp();
                _stderrTail.Enqueue(line);
                while (_stderrTail.Count > StderrTailLines)
                {
                    _stderrTail.Dequeue();
                }
            }
        });
        Exited = WaitExitAsync();
    }

    public string Label { get; }

    /// <summary>The command as a shell would take it (without the setpriv wrapper), for the JSON report.</summary>
    public string CommandLine { get; }

    public int Pid { get; }

    /// <summary>Completes with the exit code once the process has ended and its output is read.</summary>
    public Task<int> Exited { get; }

    public bool HasExited => Exited.IsCompleted;

    /// <summary>Stopwatch.GetTimestamp() when the latest stderr line arrived (0 before the first).</summary>
    public long LastStderrTimestamp { get; private set; }

    /// <summary>The latest stderr line (the load generator's human progress), or null.</summary>
    public string? LastStderrLine
    {
        get
        {
            lock (_stderrTail)
            {
                return _stderrTail.Count > 0 ? _stderrTail.Last() : null;
            }
        }
    }

    public string StderrTail
    {
        get
        {
            lock (_stderrTail)
            {
                return string.Join('\n', _stderrTail);
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/>; stdin stays open until <see cref="CloseStdin"/>.</summary>
    public static async Task<ChildProcess> StartAsync(string label, string fileName, IReadOnlyList<string> arguments, string workingDirectory,
        string logPath, Action<string>? onStdoutLine = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo
        {
            FileName = SetPriv ?? fileName,
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (SetPriv is not null)
        {
            info.ArgumentList.Add("--pdeathsig");
            info.ArgumentList.Add("KILL");
            info.ArgumentList.Add(fileName);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // No telemetry or first-run banners from the dotnet host in children.
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }
        }

        var commandLine = string.Join(' ', new[] { fileName }.Concat(arguments).Select(Quote));
        var log = new StreamWriter(logPath, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { AutoFlush = true };
        await log.WriteLineAsync($"# {commandLine}").ConfigureAwait(false);

        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        SpawnQueue.Add(() =>
        {
            try
            {
                started.SetResult(Process.Start(info) ?? throw new InvalidOperationException($"cannot start {fileName}"));
            }
            catch (Exception ex)
            {
                started.SetException(ex);
            }
        });

        Process process;
        try
        {
            process = await started.Task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            await log.DisposeAsync().ConfigureAwait(false);
            throw new BenchException($"cannot start {label} ({commandLine}): {ex.Message}");
        }

        var child = new ChildProcess(label, commandLine, process, log, onStdoutLine);
        Live[child.Pid] = child;
        return child;
    }

    /// <summary>Kills every child still running: the last line of defence on exit, Ctrl-C and unhandled errors.</summary>
    public static void KillAll()
    {
        foreach (var child in Live.Values)
        {
            child.KillNow();
        }
    }

    /// <summary>Sends a signal by name (TERM, KILL, INT) through kill(1), so no native interop is needed.</summary>
    public void Signal(string name)
    {
        if (HasExited)
        {
            return;
        }

        if (name == "KILL")
        {
            KillNow();
            return;
        }

        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + name, Pid.ToString(CultureInfo.InvariantCulture)])
        {
            UseShellExecute = false,
            RedirectStandardError = true,
        });
        kill?.WaitForExit(5000);
    }

    /// <summary>Closes stdin: the load generator's signal to stop and print its result.</summary>
    public void CloseStdin()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the process to end; true if it did.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        var done = await Task.WhenAny(Exited, Task.Delay(timeout)).ConfigureAwait(false);
        return done == Exited;
    }

    /// <summary>Asks with <paramref name="signal"/> (or stdin closed when null), waits <paramref name="grace"/>, then kills.</summary>
    public async Task StopAsync(string? signal, TimeSpan grace)
    {
        if (HasExited)
        {
            return;
        }

        if (signal is null)
        {
            CloseStdin();
        }
        else
        {
            Signal(signal);
        }

        if (!await WaitForExitAsync(grace).ConfigureAwait(false))
        {
            KillNow();
            await WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!HasExited)
        {
            KillNow();
        }

        await WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        _process.Dispose();
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:,=@+%".Contains(c, StringComparison.Ordinal))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string? FindSetPriv()
    {
        foreach (var candidate in new[] { "/usr/bin/setpriv", "/bin/setpriv" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private void KillNow()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
        }
    }

    private async Task PumpAsync(StreamReader reader, string stream, Action<string>? onLine)
    {
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                lock (_log)
                {
                    _log.WriteLine($"{stream}: {line}");
                }

                onLine?.Invoke(line);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
    }

    private async Task<int> WaitExitAsync()
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        await Task.WhenAll(_stdoutPump, _stderrPump).ConfigureAwait(false);
        Live.TryRemove(Pid, out _);
        var code = _process.ExitCode;
        lock (_log)
        {
            _log.WriteLine($"# exited with {code}");
            _log.Dispose();
        }

        return code;
    }
}
