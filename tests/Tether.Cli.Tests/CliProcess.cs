using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;

namespace Tether.Cli.Tests;

/// <summary>
/// The built CLI (<c>dotnet Tether.Cli.dll ...</c>) as a child process, with stdout and stderr read line by line as
/// they arrive. Disposing kills it if it is still running, so a failing test never leaks a process.
/// </summary>
internal sealed class CliProcess : IAsyncDisposable
{
    // SIGTERM rather than SIGINT: a process started from a non-interactive shell's background job inherits SIGINT as
    // ignored, so SIGINT would be lost in some CI runners. Both reach the same handler in the CLI.
    public const int SigTerm = 15;

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly OutputLines _stdout = new();
    private readonly OutputLines _stderr = new();

    private CliProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => _stdout.Add(e.Data);
        _process.ErrorDataReceived += (_, e) => _stderr.Add(e.Data);
    }

    public static string CliPath { get; } = typeof(CliApp).Assembly.Location;

    public IReadOnlyList<string> StdoutLines => _stdout.Snapshot();

    public IReadOnlyList<string> StderrLines => _stderr.Snapshot();

    public int ExitCode => _process.ExitCode;

    public StreamWriter Stdin => _process.StandardInput;

    public static CliProcess Start(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        start.ArgumentList.Add(CliPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start };
        var cli = new CliProcess(process);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.AutoFlush = true;
        return cli;
    }

    public Task<string> WaitForStdoutAsync(Func<string, bool> match) => WaitForAsync(_stdout, match, "stdout");

    public Task<string> WaitForStderrAsync(Func<string, bool> match) => WaitForAsync(_stderr, match, "stderr");

    /// <summary>Waits for the exit and for the end of both output streams, so every line is in.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            await Task.WhenAll(_stdout.Completion, _stderr.Completion).WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the CLI did not exit within {Timeout.TotalSeconds} s{Describe()}");
        }

        return _process.ExitCode;
    }

    /// <summary>Sends a POSIX signal, e.g. <see cref="SigTerm"/>, as Ctrl-C or a service manager would.</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public string Describe() =>
        $"{Environment.NewLine}--- stdout ---{Environment.NewLine}{string.Join(Environment.NewLine, StdoutLines)}"
        + $"{Environment.NewLine}--- stderr ---{Environment.NewLine}{string.Join(Environment.NewLine, StderrLines)}";

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

    private async Task<string> WaitForAsync(OutputLines lines, Func<string, bool> match, string name)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await foreach (var line in lines.ReadAllAsync(timeout.Token))
            {
                if (match(line))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no matching line on {name} within {Timeout.TotalSeconds} s{Describe()}");
        }

        throw new InvalidOperationException($"{name} ended without a matching line (exit code {(_process.HasExited ? _process.ExitCode : "none yet")}){Describe()}");
    }

    // DllImport rather than LibraryImport: the generated stub would need unsafe code for an int-only signature.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Every line kept for assertions, plus a channel that each waiter reads from where the last one stopped.</summary>
    private sealed class OutputLines
    {
        private readonly ConcurrentQueue<string> _all = new();
        private readonly Channel<string> _unread = Channel.CreateUnbounded<string>();
        private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Completion => _completion.Task;

        public void Add(string? line)
        {
            if (line is null)
            {
                _unread.Writer.TryComplete();
                _completion.TrySetResult();
                return;
            }

            _all.Enqueue(line);
            _unread.Writer.TryWrite(line);
        }

        public IReadOnlyList<string> Snapshot() => [.. _all];

        public IAsyncEnumerable<string> ReadAllAsync(CancellationToken cancellationToken) => _unread.Reader.ReadAllAsync(cancellationToken);
    }
}
