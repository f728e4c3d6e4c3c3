using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Tether.Cli.Parsing;
using Tether.Transport;

namespace Tether.Cli.Commands;

/// <summary>
/// Option factories with parsers that report bad values in one line naming the option, e.g.
/// <c>--heartbeat: 'abc' is not a duration (e.g. 250ms, 30s, 1.5s, 2m, 1h)</c>.
/// </summary>
internal static class CliOptions
{
    private static readonly Dictionary<string, LogLevel> LogLevels = new(StringComparer.OrdinalIgnoreCase)
    {
        ["trace"] = LogLevel.Trace,
        ["debug"] = LogLevel.Debug,
        ["info"] = LogLevel.Information,
        ["information"] = LogLevel.Information,
        ["warn"] = LogLevel.Warning,
        ["warning"] = LogLevel.Warning,
        ["error"] = LogLevel.Error,
        ["critical"] = LogLevel.Critical,
        ["none"] = LogLevel.None,
    };

    /// <summary>
    /// A duration with no parse-time default, so the command can tell "not given" from "given" (some defaults depend
    /// on other options); the default shown in help is <paramref name="defaultValue"/>.
    /// </summary>
    public static Option<TimeSpan?> Duration(string name, string description, TimeSpan? defaultValue = null, bool allowZero = false) => new(name)
    {
        // Help says how a duration is written once per option: a bare number parses as seconds, which nobody guesses.
        Description = $"{WithUnits(description)}{(defaultValue is { } value ? $" [default: {DurationParser.Format(value)}]" : string.Empty)}",
        HelpName = "duration",
        CustomParser = result =>
        {
            if (!DurationParser.TryParse(SingleToken(result), out var parsed, out var error))
            {
                result.AddError($"{name}: {error}");
                return null;
            }

            if (!allowZero && parsed == TimeSpan.Zero)
            {
                result.AddError($"{name}: must be more than zero");
                return null;
            }

            return parsed;
        },
    };

    /// <summary>The unit note of every duration option, placed before a "[default: ...]" the description may carry.</summary>
    internal static string WithUnits(string description)
    {
        const string Units = " (250ms, 30s, 2m, 1h; a number alone is seconds)";
        var index = description.IndexOf(" [default:", StringComparison.Ordinal);
        return index < 0 ? description + Units : description[..index] + Units + description[index..];
    }

    /// <summary>
    /// A whole number with a default. The description must not carry "[default: ...]": help adds it from the default.
    /// </summary>
    public static Option<int> Int(string name, string description, int defaultValue, int min, string helpName = "n") => new(name)
    {
        Description = description,
        HelpName = helpName,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => ParseInt(result, name, min) ?? defaultValue,
    };

    /// <summary>--dns-attempts, for the commands that connect to a HOST:PORT that may be a name.</summary>
    public static Option<int> DnsAttempts() => Int(
        "--dns-attempts",
        "How many times a host name is looked up before the command fails (exit code 2), about half a second apart: a "
        + "name that does not resolve is a typo or a wrong environment more often than a network blip. 0 keeps trying.",
        Connecting.HostResolver.DefaultAttempts,
        min: 0);

    /// <summary>An integer that may be absent (null), for limits whose absence means "unlimited".</summary>
    public static Option<int?> OptionalInt(string name, string description, int min, string helpName = "n") => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result => ParseInt(result, name, min),
    };

    /// <summary>--transport auto|epoll|portable; absent (null) when not given.</summary>
    public static Option<TransportKind?> TransportOption()
    {
        var option = new Option<TransportKind?>("--transport")
        {
            Description = "How connections wait for and move bytes: epoll (one epoll thread for the process; Linux), portable "
                + "(the runtime's sockets; anywhere), or auto (epoll where available; the environment variable "
                + "TETHER_TRANSPORT overrides). [default: auto]",
            HelpName = "auto|epoll|portable",
            CustomParser = result =>
            {
                var token = SingleToken(result);
                if (token is not null && Enum.TryParse<TransportKind>(token, ignoreCase: true, out var kind) && !int.TryParse(token, out _))
                {
                    return kind;
                }

                result.AddError($"--transport: unknown transport '{token}' (use auto, epoll or portable)");
                return null;
            },
        };
        option.CompletionSources.Add("auto", "epoll", "portable");
        return option;
    }

    /// <summary>--redis HOST:PORT (serve, soak); absent (null) when not given.</summary>
    public static Option<string?> Redis(string description) => new("--redis")
    {
        Description = description,
        HelpName = "host:port",
        CustomParser = result =>
        {
            if (RedisConfiguration.TryParse(SingleToken(result), out var configuration, out var error))
            {
                return configuration;
            }

            result.AddError($"--redis: {error}");
            return null;
        },
    };

    /// <summary>A log level by its short name; absent (null) when not given.</summary>
    public static Option<LogLevel?> LogLevelOption(string name, string description)
    {
        var option = new Option<LogLevel?>(name)
        {
            Description = description,
            HelpName = "level",
            CustomParser = result =>
            {
                var token = SingleToken(result);
                if (token is not null && LogLevels.TryGetValue(token, out var level))
                {
                    return level;
                }

                result.AddError($"{name}: '{token}' is not a log level (trace, debug, info, warning, error, critical, none)");
                return null;
            },
        };
        option.CompletionSources.Add("trace", "debug", "info", "warning", "error", "critical", "none");
        return option;
    }

    private static int? ParseInt(ArgumentResult result, string name, int min)
    {
        var token = SingleToken(result);
        if (!int.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            result.AddError($"{name}: '{token}' is not a whole number");
            return null;
        }

        if (value < min)
        {
            result.AddError($"{name}: must be at least {min.ToString(CultureInfo.InvariantCulture)}, not {value.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        return value;
    }

    private static string? SingleToken(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
}
