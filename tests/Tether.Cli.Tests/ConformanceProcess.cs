using System.Diagnostics;
using Tether.TestSupport;

namespace Tether.Cli.Tests;

/// <summary>
/// Runs <c>tether conformance ...</c> as a real process to its end. A whole run takes tens of seconds, more than
/// <see cref="CliProcess.Timeout"/>, so it has its own bound.
/// </summary>
internal static class ConformanceProcess
{
    public static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    /// <summary>How a client program under test is started: the built CLI, through the same dotnet host.</summary>
    public static string[] CliCommand(params string[] args) => [DotnetHost, CliProcess.CliPath, .. args];

    public static async Task<(int ExitCode, IReadOnlyList<string> Stdout, IReadOnlyList<string> Stderr, string Describe)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost) { RedirectStandardInput = true };
        start.ArgumentList.Add(CliProcess.CliPath);
        start.ArgumentList.Add("conformance");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        await using var process = ChildProcess.Start(start, "tether conformance");
        var exitCode = await process.WaitForExitAsync(RunTimeout);
        return (exitCode, process.StdoutLines, process.StderrLines, process.Describe());
    }

    private static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
}
