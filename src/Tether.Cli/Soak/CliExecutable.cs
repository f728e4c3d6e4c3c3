using System.Diagnostics;

namespace Tether.Cli.Soak;

/// <summary>
/// How to start this same CLI as a child process: the apphost (<c>tether</c>) directly, or the <c>dotnet</c> host with
/// the CLI's assembly when the CLI runs as <c>dotnet Tether.Cli.dll</c> or inside another host (the tests' testhost).
/// </summary>
internal static class CliExecutable
{
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments) =>
        StartInfo(Environment.ProcessPath, typeof(CliApp).Assembly.Location, Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"), arguments);

    /// <summary>The decision, apart from the environment it is read from (for tests).</summary>
    internal static ProcessStartInfo StartInfo(string? processPath, string cliAssembly, string? dotnetHostPath, IEnumerable<string> arguments)
    {
        var processName = processPath is null ? string.Empty : Path.GetFileNameWithoutExtension(processPath);
        ProcessStartInfo start;
        if (string.IsNullOrEmpty(cliAssembly) || IsCliHost(processName, cliAssembly))
        {
            // The apphost or a single-file publish (whose assembly has no location): the process is the CLI itself.
            start = new ProcessStartInfo(processPath ?? throw new CliException("soak: cannot tell which executable this is to start the nodes", ExitCodes.Failure));
        }
        else
        {
            var dotnet = string.Equals(processName, "dotnet", StringComparison.OrdinalIgnoreCase) ? processPath! : dotnetHostPath ?? "dotnet";
            start = new ProcessStartInfo(dotnet);
            start.ArgumentList.Add(cliAssembly);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <summary>
    /// The same start, in a session of its own where <c>setsid</c> exists (Linux), so that a Ctrl-C in the terminal
    /// reaches only the soak, which ends the run and kills the nodes itself, and not the nodes too, which would start a
    /// graceful stop of their own while the run settles. (The child is not a process group leader, so setsid runs the
    /// program in place: the process id stays that of the node.)
    /// </summary>
    public static ProcessStartInfo InOwnSession(ProcessStartInfo start)
    {
        if (!OperatingSystem.IsLinux() || SetSid is not { } setsid)
        {
            return start;
        }

        var wrapped = new ProcessStartInfo(setsid);
        wrapped.ArgumentList.Add(start.FileName);
        foreach (var argument in start.ArgumentList)
        {
            wrapped.ArgumentList.Add(argument);
        }

        return wrapped;
    }

    private static string? SetSid { get; } = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

    // The apphost is named after the assembly (Tether.Cli) or, installed as a tool, after the command (tether).
    private static bool IsCliHost(string processName, string cliAssembly) =>
        string.Equals(processName, Path.GetFileNameWithoutExtension(cliAssembly), StringComparison.OrdinalIgnoreCase)
        || string.Equals(processName, "tether", StringComparison.OrdinalIgnoreCase);
}
