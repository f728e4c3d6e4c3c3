using System.Diagnostics;
using System.Text;

namespace Tether.TestSupport;

/// <summary>
/// A child process with stdout and stderr read line by line as they arrive, for tests that drive a real program.
/// Disposing kills its process tree if it is still running, so a failing test never leaks a process.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    /// <summary>How long <see cref="DisposeAsync"/> waits for a killed process to be gone.</summary>
    public static readonly TimeSpan DisposeTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly string _displayName;
    private readonly string _outputLabel;
    private readonly OutputLines _stdout = new();
    private readonly OutputLines _stderr = new();

    private ChildProcess(Process process, string displayName, string? outputLabel)
    {
        _process = process;
        _displayName = displayName;
        _outputLabel = outputLabel is null ? string.Empty : outputLabel + " ";
        _process.OutputDataReceived += (_, e) => _stdout.Add(e.Data);
        _process.ErrorDataReceived += (_, e) => _stderr.Add(e.Data);
    }

    public IReadOnlyList<string> StdoutLines => _stdout.Snapshot();

    public IReadOnlyList<string> StderrLines => _stderr.Snapshot();

    public int ExitCode => _process.ExitCode;

    /// <summary>The process id, e.g. to sample the child's memory from /proc.</summary>
    public int Id => _process.Id;

    /// <summary>The process's stdin (auto-flushed); only when the start info redirected it.</summary>
    public StreamWriter Stdin => _process.StandardInput;

    /// <summary>
    /// Starts <paramref name="startInfo"/> with stdout and stderr redirected (UTF-8 unless the start info says
    /// otherwise); stdin is redirected, as UTF-8 without a BOM, only if the start info asks for it.
    /// </summary>
    /// <param name="startInfo">What to run; this method sets the redirections and encodings it needs on it.</param>
    /// <param name="displayName">The process in messages, e.g. "the CLI" ("... did not exit within 30 s").</param>
    /// <param name="outputLabel">A word before the stream names in <see cref="Describe"/>, e.g. "python"; none if null.</param>
    public static ChildProcess Start(ProcessStartInfo startInfo, string displayName, string? outputLabel = null)
    {
        startInfo.UseShellExecute = false;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.StandardOutputEncoding ??= Encoding.UTF8;
        startInfo.StandardErrorEncoding ??= Encoding.UTF8;
        if (startInfo.RedirectStandardInput)
        {
            startInfo.StandardInputEncoding ??= new UTF8Encoding(false);
        }

        var child = new ChildProcess(new Process { StartInfo = startInfo }, displayName, outputLabel);
        try
        {
            child._process.Start();
        }
        catch
        {
            child._process.Dispose();
            throw;
        }

        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        if (startInfo.RedirectStandardInput)
        {
            child._process.StandardInput.AutoFlush = true;
        }

        return child;
    }

    /// <summary>
    /// Waits for the next line on <paramref name="stream"/> that <paramref name="match"/> accepts; each wait reads on
    /// from where the previous one on that stream stopped.
    /// </summary>
    public async Task<string> WaitForLineAsync(OutputStream stream, Func<string, bool> match, TimeSpan timeout)
    {
        var (lines, name) = stream == OutputStream.Stdout ? (_stdout, "stdout") : (_stderr, "stderr");
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await foreach (var line in lines.ReadUnreadAsync(cancellation.Token))
            {
                if (match(line))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no matching line on {name} within {timeout.TotalSeconds} s{Describe()}");
        }

        throw new InvalidOperationException($"{name} ended without a matching line (exit code {(_process.HasExited ? _process.ExitCode : "none yet")}){Describe()}");
    }

    /// <summary>Waits for the exit and for the end of both output streams, so every line is in.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
            await Task.WhenAll(_stdout.Completion, _stderr.Completion).WaitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{_displayName} did not exit within {timeout.TotalSeconds} s{Describe()}");
        }

        return _process.ExitCode;
    }

    /// <summary>Sends a POSIX signal (e.g. 15, SIGTERM) to the process itself, as Ctrl-C or a service manager would.</summary>
    public void Signal(int signal) => PosixSignal.Send(_process.Id, signal);

    /// <summary>Both streams' lines so far, to append to an assertion message.</summary>
    public string Describe() =>
        $"{Environment.NewLine}--- {_outputLabel}stdout ---{Environment.NewLine}{string.Join(Environment.NewLine, StdoutLines)}"
        + $"{Environment.NewLine}--- {_outputLabel}stderr ---{Environment.NewLine}{string.Join(Environment.NewLine, StderrLines)}";

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var cancellation = new CancellationTokenSource(DisposeTimeout);
                await _process.WaitForExitAsync(cancellation.Token);
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
}
