using System.Globalization;

namespace Tether.Hostile.Monitoring;

/// <summary>Another process's resident memory, from the VmRSS line of /proc/PID/status (Linux only).</summary>
internal static class ProcRss
{
    /// <summary>VmRSS in bytes, or null when the process is gone (or this is not Linux).</summary>
    public static long? Read(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            var kib = line?["VmRSS:".Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            return kib is not null && long.TryParse(kib, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value * 1024 : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
