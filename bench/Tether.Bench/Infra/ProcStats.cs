using System.Diagnostics;
using System.Globalization;

namespace Tether.Bench.Infra;

/// <summary>Samples another process from <c>/proc</c>: resident memory (VmRSS) and CPU time (utime + stime).</summary>
internal static class ProcStats
{
    private static readonly Lazy<long> ClockTicksPerSecond = new(ReadClockTicks);

    /// <summary>VmRSS in bytes, or null when the process is gone.</summary>
    public static long? RssBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>utime + stime of the process in seconds, or null when it is gone.</summary>
    public static double? CpuSeconds(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
        // Then field 3 (state) is index 0, so utime (field 14) is index 11 and stime (field 15) index 12.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / (double)ClockTicksPerSecond.Value;
    }

    /// <summary>The number of threads of the process, or null when it is gone.</summary>
    public static int? Threads(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    return int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>True when some socket is listening on 127.0.0.1 (or any address) at <paramref name="port"/> (from /proc/net/tcp).</summary>
    public static bool IsListening(int port)
    {
        var hexPort = port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            try
            {
                foreach (var line in File.ReadLines(file).Skip(1))
                {
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    // parts[1] = local address "0100007F:1D1F", parts[3] = state; 0A = LISTEN.
                    if (parts.Length > 3 && parts[3] == "0A" && parts[1].EndsWith(":" + hexPort, StringComparison.Ordinal))
                    {
                        return true;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        return false;
    }

    /// <summary>Open file descriptors of the process (each connection is one), or null when it is gone.</summary>
    public static int? OpenFiles(int pid)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Count();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The kernel's TcpExt ListenOverflows counter (SYNs or completed handshakes dropped because a listen queue was full),
    /// machine-wide, from /proc/net/netstat; null when unreadable.
    /// </summary>
    public static long? ListenOverflows()
    {
        try
        {
            var lines = File.ReadAllLines("/proc/net/netstat");
            for (var i = 0; i + 1 < lines.Length; i += 2)
            {
                if (!lines[i].StartsWith("TcpExt:", StringComparison.Ordinal))
                {
                    continue;
                }

                var names = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var values = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var index = Array.IndexOf(names, "ListenOverflows");
                return index > 0 && index < values.Length ? long.Parse(values[index], CultureInfo.InvariantCulture) : null;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return null;
    }

    private static long ReadClockTicks()
    {
        try
        {
            using var getconf = Process.Start(new ProcessStartInfo("getconf", ["CLK_TCK"])
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            });
            if (getconf is not null)
            {
                var output = getconf.StandardOutput.ReadToEnd();
                getconf.WaitForExit(5000);
                if (long.TryParse(output.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks) && ticks > 0)
                {
                    return ticks;
                }
            }
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
        }

        return 100; // USER_HZ on every Linux build that matters
    }
}

/// <summary>CPU use of one process over an interval, in percent of one core.</summary>
internal sealed class CpuMeter
{
    private readonly int _pid;
    private readonly double _startCpu;
    private readonly long _startTimestamp;

    public CpuMeter(int pid)
    {
        _pid = pid;
        _startCpu = ProcStats.CpuSeconds(pid) ?? double.NaN;
        _startTimestamp = Stopwatch.GetTimestamp();
    }

    /// <summary>Percent of one core since construction; null if the process is gone.</summary>
    public double? PercentOfOneCore()
    {
        var cpu = ProcStats.CpuSeconds(_pid);
        var elapsed = Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds;
        return cpu is { } now && !double.IsNaN(_startCpu) && elapsed > 0 ? (now - _startCpu) / elapsed * 100 : null;
    }
}
