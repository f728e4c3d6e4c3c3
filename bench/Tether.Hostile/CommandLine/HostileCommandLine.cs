using System.Globalization;
using System.Net;
using Tether.Hostile.Wire;

namespace Tether.Hostile.CommandLine;

/// <summary>Parses <c>--name value</c> pairs into <see cref="HostileSettings"/>.</summary>
internal static class HostileCommandLine
{
    public const string Usage =
        "usage: Tether.Hostile --target 127.0.0.1:PORT --server-pid PID [--duration 60s] [--handshake-timeout 10s] "
        + "[--good 20] [--good-rate 50] [--garbage 2000] [--stallers 1000] [--oversized 500] [--truncated 200] [--churners 16] [--flooders 10] "
        + "[--max-sockets 5000] [--seed 1] [--rss-growth 25] [--rss-floor 32] [--json]\n"
        + "Runs well-behaved and hostile peers against a running `tether serve --app echo`; --handshake-timeout must be the "
        + "server's (for short runs start it with --handshake-timeout 2s and pass the same here). --rss-growth is a "
        + "percentage of the baseline and --rss-floor MiB: the server's RSS may grow by the larger of the two.";

    public static (HostileSettings Settings, bool Json) Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var json = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--json":
                    json = true;
                    break;
                case "-h" or "--help":
                    throw new UsageException(Usage);
                case var name when name.StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Count:
                    values[name] = args[++i];
                    break;
                case var other:
                    throw new UsageException($"unexpected argument '{other}' (options take a value: --name value)");
            }
        }

        var reader = new OptionReader(values);
        var settings = new HostileSettings
        {
            Target = reader.EndPoint("--target"),
            ServerPid = reader.Int("--server-pid", null, 1, int.MaxValue),
            Duration = reader.Duration("--duration", TimeSpan.FromSeconds(60)),
            HandshakeTimeout = reader.Duration("--handshake-timeout", TimeSpan.FromSeconds(10)),
            Good = reader.Int("--good", 20, 0, 1000)!.Value,
            GoodRate = reader.Int("--good-rate", 50, 1, 10_000)!.Value,
            Garbage = reader.Int("--garbage", 2000, 0, 1_000_000)!.Value,
            Stallers = reader.Int("--stallers", 1000, 0, 1_000_000)!.Value,
            Oversized = reader.Int("--oversized", 500, 0, 1_000_000)!.Value,
            Truncated = reader.Int("--truncated", 200, 0, 1_000_000)!.Value,
            Churners = reader.Int("--churners", 16, 0, 1000)!.Value,
            Flooders = reader.Int("--flooders", 10, 0, 1000)!.Value,
            MaxSockets = reader.Int("--max-sockets", 5000, 1, 1_000_000)!.Value,
            Seed = reader.Int("--seed", 1, 0, int.MaxValue)!.Value,
            RssGrowth = reader.Int("--rss-growth", 25, 0, 10_000)!.Value / 100.0,
            RssFloorBytes = reader.Int("--rss-floor", 32, 0, 1_000_000)!.Value * 1024L * 1024,
        };
        reader.ThrowOnUnknown();
        Validate(settings);
        return (settings, json);
    }

    private static void Validate(HostileSettings settings)
    {
        if (settings.ServerPid is null)
        {
            throw new UsageException("--server-pid PID is required: the server's memory is part of the verdict");
        }

        if (settings.Stallers > 0 && settings.LaunchWindow <= TimeSpan.Zero)
        {
            throw new UsageException(
                $"--duration must exceed --handshake-timeout by more than 1 s, so that stallers can be closed in time; "
                + "for a short run start the server with --handshake-timeout 2s and pass --handshake-timeout 2s here");
        }

        // Every socket is a file descriptor: hostile sockets at most --max-sockets, plus the good clients.
        var needed = settings.MaxSockets + settings.Good + FileLimit.Reserve;
        if (FileLimit.Read() is { } limit && needed > limit)
        {
            throw new UsageException(
                $"--max-sockets {settings.MaxSockets} and --good {settings.Good} need {needed} file descriptors, over this process's limit of {limit} (ulimit -n)");
        }
    }

    /// <summary>Reads typed values and remembers which names were asked for, so that unknown ones are refused.</summary>
    private sealed class OptionReader(Dictionary<string, string> values)
    {
        private readonly HashSet<string> _known = new(StringComparer.Ordinal);

        public IPEndPoint EndPoint(string name) => Get(name) switch
        {
            null => throw new UsageException($"{name} HOST:PORT is required"),
            var text when IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port != 0 => endPoint,
            var text => throw new UsageException($"{name}: '{text}' is not an IP address and port, e.g. 127.0.0.1:7447"),
        };

        public int? Int(string name, int? fallback, int min, int max)
        {
            if (Get(name) is not { } text)
            {
                return fallback;
            }

            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
                ? value
                : throw new UsageException($"{name}: '{text}' is not a whole number from {min} to {max}");
        }

        public TimeSpan Duration(string name, TimeSpan fallback)
        {
            if (Get(name) is not { } text)
            {
                return fallback;
            }

            var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], TimeSpan.FromMilliseconds(1))
                : text.EndsWith('s') ? (text[..^1], TimeSpan.FromSeconds(1))
                : text.EndsWith('m') ? (text[..^1], TimeSpan.FromMinutes(1))
                : (text, TimeSpan.FromSeconds(1));
            return double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) && amount > 0 && amount * unit.TotalHours <= 24
                ? unit * amount
                : throw new UsageException($"{name}: '{text}' is not a positive duration such as 500ms, 10s or 2m");
        }

        public void ThrowOnUnknown()
        {
            if (values.Keys.FirstOrDefault(k => !_known.Contains(k)) is { } unknown)
            {
                throw new UsageException($"unknown option {unknown}");
            }
        }

        private string? Get(string name)
        {
            _known.Add(name);
            return values.GetValueOrDefault(name);
        }
    }
}
