using System.Diagnostics;
using Tether.TestSupport;

namespace Tether.Admin.Tests;

/// <summary>Runs the real CLI (Tether.Cli.dll) to its exit, with its output.</summary>
internal static class CliRun
{
    private static readonly string CliPath = Path.Combine(AppContext.BaseDirectory, "Tether.Cli.dll");

    public static async Task<(int ExitCode, IReadOnlyList<string> Stdout, IReadOnlyList<string> Stderr)> RunAsync(IDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        start.ArgumentList.Add(CliPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("TETHER_API_KEY");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        await using var process = ChildProcess.Start(start, "the CLI");
        var exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (exit, process.StdoutLines, process.StderrLines);
    }

    public static Task<(int ExitCode, IReadOnlyList<string> Stdout, IReadOnlyList<string> Stderr)> RunAsync(params string[] args) => RunAsync(null, args);
}
