using System.Diagnostics;
using Tether.TestSupport;

namespace Tether.Cli.Tests;

/// <summary>
/// The built CLI (<c>dotnet Tether.Cli.dll ...</c>) as a <see cref="ChildProcess"/>, with stdin redirected and
/// stdout and stderr read line by line as they arrive. Disposing kills it if it is still running.
/// </summary>
internal sealed class CliProcess : IAsyncDisposable
{
    // SIGTERM rather than SIGINT: a process started from a non-interactive shell's background job inherits SIGINT as
    // ignored, so SIGINT would be lost in some CI runners. Both reach the same handler in the CLI.
    public const int SigTerm = 15;

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly ChildProcess _process;

    private CliProcess(ChildProcess process) => _process = process;

    public static string CliPath { get; } = typeof(CliApp).Assembly.Location;

    public IReadOnlyList<string> StdoutLines => _process.StdoutLines;

    public IReadOnlyList<string> StderrLines => _process.StderrLines;

    public int ExitCode => _process.ExitCode;

    public int Id => _process.Id;

    public StreamWriter Stdin => _process.Stdin;

    public static CliProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>Starts the CLI with these environment variables added to the test's own.</summary>
    public static CliProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(CliPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new CliProcess(ChildProcess.Start(start, "the CLI"));
    }

    public Task<string> WaitForStdoutAsync(Func<string, bool> match) => _process.WaitForLineAsync(OutputStream.Stdout, match, Timeout);

    public Task<string> WaitForStderrAsync(Func<string, bool> match) => _process.WaitForLineAsync(OutputStream.Stderr, match, Timeout);

    /// <summary>Waits for the exit and for the end of both output streams, so every line is in.</summary>
    public Task<int> WaitForExitAsync() => _process.WaitForExitAsync(Timeout);

    /// <summary>Sends a POSIX signal, e.g. <see cref="SigTerm"/>, as Ctrl-C or a service manager would.</summary>
    public void Signal(int signal) => _process.Signal(signal);

    public string Describe() => _process.Describe();

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
