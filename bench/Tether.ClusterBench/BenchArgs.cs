using System.Globalization;
using System.Net;

namespace Tether.ClusterBench;

/// <summary>A command-line error: one line on stderr, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// <c>--name value</c> pairs after the role (and, for the pusher, the workload); every name must be read, so that a
/// misspelt option is an error rather than a silently ignored one.
/// </summary>
internal sealed class BenchArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public BenchArgs(IEnumerable<string> args)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var name = e.Current;
            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"unexpected argument '{name}'");
            }

            if (!e.MoveNext())
            {
                throw new UsageException($"{name} needs a value");
            }

            _values[name] = e.Current;
        }
    }

    public string? String(string name)
    {
        _used.Add(name);
        return _values.GetValueOrDefault(name);
    }

    public string Required(string name) => String(name) ?? throw new UsageException($"{name} is required");

    public int Int(string name, int fallback, int min = 0, int max = int.MaxValue)
    {
        var text = String(name);
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new UsageException($"{name}: '{text}' is not a whole number from {min} to {max}");
        }

        return value;
    }

    public TimeSpan Seconds(string name, double fallback)
    {
        var text = String(name);
        if (text is null)
        {
            return TimeSpan.FromSeconds(fallback);
        }

        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value < 0)
        {
            throw new UsageException($"{name}: '{text}' is not a number of seconds");
        }

        return TimeSpan.FromSeconds(value);
    }

    public IPAddress? Address(string name) => String(name) switch
    {
        null => null,
        var text when IPAddress.TryParse(text, out var address) => address,
        var text => throw new UsageException($"{name}: '{text}' is not an IP address"),
    };

    /// <summary>A comma-separated list of HOST:PORT.</summary>
    public IReadOnlyList<IPEndPoint> EndPoints(string name) =>
        [.. Required(name).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(text =>
            IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port != 0
                ? endPoint
                : throw new UsageException($"{name}: '{text}' is not an IP address and port"))];

    public void ThrowOnUnknown()
    {
        foreach (var name in _values.Keys.Where(n => !_used.Contains(n)))
        {
            throw new UsageException($"unknown option {name}");
        }
    }
}
