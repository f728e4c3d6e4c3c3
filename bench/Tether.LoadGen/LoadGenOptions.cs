using System.Globalization;
using System.Net;

namespace Tether.LoadGen;

/// <summary>The workload to run (first command-line argument).</summary>
internal enum Mode
{
    Idle,
    Echo,
    Fanout,
    Storm,
    Churn,
}

/// <summary>What the connections speak (<c>--protocol</c>).</summary>
internal enum WireProtocol
{
    Tether,
    TetherNoSession,
    Raw,
    Mqtt,
}

/// <summary>A command-line error: printed as one line on stderr, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The parsed command line (bench/CONTRACT.md, "Load generator command line").</summary>
internal sealed class LoadGenOptions
{
    public const string Usage =
        "usage: Tether.LoadGen <idle|echo|fanout|storm|churn> --target 127.0.0.1:PORT "
        + "--protocol <tether|tether-nosession|raw|mqtt> [--source 127.0.0.N] [--connections N] [--heartbeat 30s] "
        + "[--connect-concurrency 256] [--duration D] [--in-flight W] [--size S] [--warmup 2s] [--send K] [--interval 200ms]";

    public Mode Mode { get; private init; }

    public WireProtocol Protocol { get; private init; } = WireProtocol.Tether;

    public IPEndPoint Target { get; private init; } = null!;

    public IPAddress? Source { get; private init; }

    public int Connections { get; private init; }

    public TimeSpan Heartbeat { get; private init; } = TimeSpan.FromSeconds(30);

    /// <summary>True when <c>--heartbeat</c> was given (storm then proposes it; otherwise the server decides).</summary>
    public bool HeartbeatGiven { get; private init; }

    public int ConnectConcurrency { get; private init; } = 256;

    public TimeSpan Duration { get; private init; }

    public int InFlight { get; private init; } = 1;

    public int Size { get; private init; } = 64;

    public TimeSpan Warmup { get; private init; } = TimeSpan.FromSeconds(2);

    public int Send { get; private init; }

    public TimeSpan Interval { get; private init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>True for the protocols that speak Tether.</summary>
    public bool IsTether => Protocol is WireProtocol.Tether or WireProtocol.TetherNoSession;

    /// <summary>True when a Tether session is requested.</summary>
    public bool Sessions => Protocol == WireProtocol.Tether;

    /// <summary>The name of the protocol as given on the command line.</summary>
    public string ProtocolName => Protocol switch
    {
        WireProtocol.Tether => "tether",
        WireProtocol.TetherNoSession => "tether-nosession",
        WireProtocol.Raw => "raw",
        _ => "mqtt",
    };

    /// <summary>The name of the mode as given on the command line.</summary>
    public string ModeName => Mode.ToString().ToLowerInvariant();

    public static LoadGenOptions Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            throw new UsageException(Usage);
        }

        var mode = args[0] switch
        {
            "idle" => Mode.Idle,
            "echo" => Mode.Echo,
            "fanout" => Mode.Fanout,
            "storm" => Mode.Storm,
            "churn" => Mode.Churn,
            _ => throw new UsageException($"unknown mode '{args[0]}'; expected idle, echo, fanout, storm or churn"),
        };

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"unexpected argument '{name}'");
            }

            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                values[name[..equals]] = name[(equals + 1)..];
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new UsageException($"{name} needs a value");
            }

            values[name] = args[++i];
        }

        var reader = new Reader(values);
        var options = new LoadGenOptions
        {
            Mode = mode,
            Protocol = reader.Protocol(),
            Target = reader.EndPoint("--target") ?? throw new UsageException("--target 127.0.0.1:PORT is required"),
            Source = reader.Address("--source"),
            Connections = reader.Int("--connections", DefaultConnections(mode), 0, 1_000_000),
            Heartbeat = reader.Duration("--heartbeat", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100)),
            HeartbeatGiven = values.ContainsKey("--heartbeat"),
            ConnectConcurrency = reader.Int("--connect-concurrency", 256, 1, 100_000),
            Duration = reader.Duration("--duration", DefaultDuration(mode), TimeSpan.Zero),
            InFlight = reader.Int("--in-flight", 1, 1, 1_000_000),
            Size = reader.Int("--size", mode == Mode.Fanout ? 16 : 64, 0, 16 * 1024 * 1024),
            Warmup = reader.Duration("--warmup", TimeSpan.FromSeconds(2), TimeSpan.Zero),
            Send = reader.Int("--send", 0, 0, FanoutMode.MaxMessageIds),
            Interval = reader.Duration("--interval", TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(1)),
        };
        reader.ThrowOnUnknown();
        options.Validate();
        return options;
    }

    private static int DefaultConnections(Mode mode) => mode switch
    {
        Mode.Echo => 100,
        Mode.Churn => 16,
        _ => 1000,
    };

    private static TimeSpan DefaultDuration(Mode mode) => mode switch
    {
        Mode.Echo or Mode.Churn => TimeSpan.FromSeconds(10),
        Mode.Fanout => TimeSpan.FromSeconds(120),
        _ => TimeSpan.FromSeconds(60),
    };

    private void Validate()
    {
        switch (Mode)
        {
            case Mode.Idle:
                break;
            case Mode.Echo or Mode.Churn when Protocol == WireProtocol.Mqtt:
                throw new UsageException($"{ModeName} supports tether, tether-nosession and raw, not mqtt");
            case Mode.Echo or Mode.Churn:
                break;
            case Mode.Fanout or Mode.Storm when !IsTether:
                throw new UsageException($"{ModeName} speaks tether or tether-nosession only");
        }

        if (Connections == 0 && !(Mode == Mode.Fanout && Send > 0))
        {
            throw new UsageException("--connections must be at least 1 (0 only for a fanout process that just sends)");
        }

        if (Mode == Mode.Echo && Protocol == WireProtocol.Raw && Size == 0)
        {
            throw new UsageException("raw echo needs --size of at least 1 byte");
        }

        if (Mode == Mode.Fanout && Size < FanoutMode.StampLength)
        {
            throw new UsageException($"fanout messages carry an id and a timestamp: --size must be at least {FanoutMode.StampLength}");
        }

        if (Protocol == WireProtocol.Mqtt && Heartbeat.TotalSeconds is < 1 or > ushort.MaxValue)
        {
            throw new UsageException("mqtt keepalive is whole seconds: --heartbeat must be 1s..65535s");
        }
    }

    /// <summary>Reads typed option values and remembers which names were used.</summary>
    private sealed class Reader(Dictionary<string, string> values)
    {
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);

        public WireProtocol Protocol() => Get("--protocol") switch
        {
            null or "tether" => WireProtocol.Tether,
            "tether-nosession" => WireProtocol.TetherNoSession,
            "raw" => WireProtocol.Raw,
            "mqtt" => WireProtocol.Mqtt,
            var other => throw new UsageException($"--protocol: unknown protocol '{other}'; expected tether, tether-nosession, raw or mqtt"),
        };

        public IPEndPoint? EndPoint(string name) => Get(name) switch
        {
            null => null,
            var text when IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port != 0 => endPoint,
            var text => throw new UsageException($"{name}: '{text}' is not an IP address and port, e.g. 127.0.0.1:7447"),
        };

        public IPAddress? Address(string name) => Get(name) switch
        {
            null => null,
            var text when IPAddress.TryParse(text, out var address) => address,
            var text => throw new UsageException($"{name}: '{text}' is not an IP address, e.g. 127.0.0.2"),
        };

        public int Int(string name, int fallback, int min, int max)
        {
            var text = Get(name);
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

        public TimeSpan Duration(string name, TimeSpan fallback, TimeSpan min)
        {
            var text = Get(name);
            if (text is null)
            {
                return fallback;
            }

            if (!DurationText.TryParse(text, out var value) || value < min)
            {
                throw new UsageException($"{name}: '{text}' is not a duration of at least {min.TotalMilliseconds} ms (e.g. 200ms, 30s, 5m)");
            }

            return value;
        }

        public void ThrowOnUnknown()
        {
            foreach (var name in values.Keys)
            {
                if (!_used.Contains(name))
                {
                    throw new UsageException($"unknown option {name}");
                }
            }
        }

        private string? Get(string name)
        {
            _used.Add(name);
            return values.TryGetValue(name, out var value) ? value : null;
        }
    }
}

/// <summary>Durations such as <c>200ms</c>, <c>30s</c>, <c>5m</c>, <c>1h</c>; a bare number is seconds.</summary>
internal static class DurationText
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        var (number, scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 1.0),
            _ when text.EndsWith('s') => (text[..^1], 1000.0),
            _ when text.EndsWith('m') => (text[..^1], 60_000.0),
            _ when text.EndsWith('h') => (text[..^1], 3_600_000.0),
            _ => (text, 1000.0),
        };
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
            || double.IsNaN(amount) || amount * scale > TimeSpan.FromDays(1).TotalMilliseconds)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(amount * scale);
        return true;
    }
}
