using System.Globalization;

namespace Tether.LoadGen;

/// <summary>The process's open-file limit: every connection is a file descriptor.</summary>
internal static class FileLimit
{
    /// <summary>Descriptors kept free for the runtime (epoll, event pipes, stdio, assemblies) and for connect retries.</summary>
    public const int Margin = 200;

    /// <summary>
    /// The soft RLIMIT_NOFILE of this process as Linux reports it in /proc/self/limits (the .NET runtime has already
    /// raised it to the hard limit at start-up), or null when unknown.
    /// </summary>
    public static long? Current()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    continue;
                }

                var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var soft))
                {
                    return soft;
                }

                return fields.Length > 0 && fields[0] == "unlimited" ? long.MaxValue : null;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>Throws a <see cref="UsageException"/> when <paramref name="sockets"/> would not fit under the limit.</summary>
    public static void Check(long sockets)
    {
        if (Current() is { } limit && sockets > limit - Margin)
        {
            throw new UsageException(
                $"{sockets} connections need {sockets} file descriptors, but this process may open {limit} "
                + $"(ulimit -n) and keeps {Margin} for itself: use at most {Math.Max(0, limit - Margin)} connections per "
                + "process (run several with different --source addresses) or raise the limit");
        }
    }
}
