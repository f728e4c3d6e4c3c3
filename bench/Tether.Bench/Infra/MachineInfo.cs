using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Tether.Bench.Infra;

/// <summary>What the figures were measured on: CPU, cores, kernel, .NET, open-file limit and the commit.</summary>
internal static class MachineInfo
{
    public static JsonObject Collect(string root)
    {
        var cpu = ReadFirst("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        var (commit, dirty) = Commit(root);
        return new JsonObject
        {
            ["cpu"] = cpu,
            ["cores"] = Environment.ProcessorCount,
            ["memory_bytes"] = MemoryBytes(),
            ["kernel"] = ReadText("/proc/sys/kernel/osrelease") ?? RuntimeInformation.OSDescription,
            ["os"] = RuntimeInformation.OSDescription,
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["open_files_limit"] = ReadFirst("/proc/self/limits", "Max open files")?.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(),
            ["ephemeral_ports"] = ReadText("/proc/sys/net/ipv4/ip_local_port_range")?.Replace('\t', '-'),
            ["commit"] = commit,
            ["commit_dirty"] = dirty,
        };
    }

    /// <summary>One line for the top of a table.</summary>
    public static string Describe(JsonObject machine) =>
        $"{machine["cpu"]}, {machine["cores"]} cores, Linux {machine["kernel"]}, {machine["dotnet"]}, commit {machine["commit"]}{(machine["commit_dirty"]?.GetValue<bool>() == true ? " (with uncommitted changes)" : "")}";

    /// <summary>The first line of <c>mosquitto -h</c> ("mosquitto version 2.0.11"), or null when it is not installed.</summary>
    public static string? MosquittoVersion() => Run("mosquitto", ["-h"])?.Split('\n').FirstOrDefault(l => l.Contains("version", StringComparison.Ordinal))?.Trim();

    private static (string? Commit, bool Dirty) Commit(string root)
    {
        // Read-only git commands: which commit, and whether tracked files differ from it.
        var head = Run("git", ["-C", root, "rev-parse", "HEAD"])?.Trim();
        var status = Run("git", ["-C", root, "status", "--porcelain", "--untracked-files=no"]);
        return (string.IsNullOrEmpty(head) ? null : head, !string.IsNullOrWhiteSpace(status));
    }

    private static long? MemoryBytes()
    {
        var line = ReadFirst("/proc/meminfo", "MemTotal");
        var kb = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return long.TryParse(kb, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value * 1024 : null;
    }

    private static string? ReadFirst(string path, string key)
    {
        try
        {
            var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
            if (line is null)
            {
                return null;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            return (colon >= 0 ? line[(colon + 1)..] : line[key.Length..]).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? Run(string file, string[] arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return null;
            }

            var errorTask = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(5000);
            var error = errorTask.Result;
            return output.Length > 0 ? output : error;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null;
        }
    }
}
