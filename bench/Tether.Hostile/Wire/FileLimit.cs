using System.Globalization;

namespace Tether.Hostile.Wire;

/// <summary>The soft open-file limit of this process (every socket is a file descriptor).</summary>
internal static class FileLimit
{
    /// <summary>Descriptors left for the runtime, the good clients' spare sockets and stdio.</summary>
    public const int Reserve = 300;

    /// <summary>The limit from /proc/self/limits, or null where it cannot be read.</summary>
    public static long? Read()
    {
        try
        {
            var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            var soft = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            return soft switch
            {
                null => null,
                "unlimited" => long.MaxValue,
                _ => long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null,
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
