using System.Globalization;
using System.Text;
using Tether.Cli.Parsing;
using Tether.FaultProxy;

namespace Tether.Cli.Proxying;

/// <summary>
/// Reads the commands <c>tether proxy</c> takes on stdin, one per line: words separated by spaces, case-insensitive;
/// blank lines and lines starting with <c>#</c> are ignored.
/// </summary>
internal static class ProxyInstructionParser
{
    private const string Directions = "up, down, both";

    /// <summary>Every command with its syntax, for <c>help</c> and <c>tether proxy --help</c>.</summary>
    public static IReadOnlyList<(string Syntax, string Description)> Commands { get; } =
    [
        ("pass [up|down|both]", "Forward normally; FINs and resets held by a black hole are released."),
        ("blackhole [up|down|both]", "Forward nothing, close nothing: bytes are dropped, like a dead network. New connections are held silent."),
        ("delay DURATION [up|down|both]", "Forward each chunk DURATION after it was read, e.g. delay 200ms."),
        ("slice N [PAUSE] [up|down|both]", "Forward in writes of at most N bytes, PAUSE apart, e.g. slice 1 10ms."),
        ("reset", "Reset (RST) every current connection; prints how many."),
        ("refuse on|off", "Reset new connections as soon as they are accepted; current ones are kept."),
        ("status", "Print the mode of each direction, connections and bytes forwarded."),
        ("help", "Print this list."),
    ];

    /// <summary>What the direction words mean, printed after <see cref="Commands"/>.</summary>
    public const string DirectionsNote = "up = client to target, down = target to client, both (the default). "
        + "A command applies at once to current and future connections.";

    /// <summary>
    /// The command list, one indented line per command with aligned descriptions, then the meaning of the directions;
    /// no trailing newline.
    /// </summary>
    public static string FormatCommands()
    {
        var width = Commands.Max(c => c.Syntax.Length);
        var text = new StringBuilder();
        foreach (var (syntax, description) in Commands)
        {
            text.Append("  ").Append(syntax.PadRight(width)).Append("  ").AppendLine(description);
        }

        return text.Append("  ").Append(DirectionsNote).ToString();
    }

    /// <summary>
    /// Parses one line. True with a null <paramref name="instruction"/> for a blank or comment line; false with a
    /// one-line <paramref name="error"/> (no "error:" prefix) otherwise.
    /// </summary>
    public static bool TryParse(string line, out ProxyInstruction? instruction, out string? error)
    {
        instruction = null;
        error = null;
        var words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0 || words[0].StartsWith('#'))
        {
            return true;
        }

        var verb = words[0].ToLowerInvariant();
        var args = words.AsSpan(1);
        instruction = verb switch
        {
            "pass" => ParseFault(verb, FaultMode.Pass, args, out error),
            "blackhole" => ParseFault(verb, FaultMode.BlackHole, args, out error),
            "delay" => ParseFault(verb, FaultMode.Delay, args, out error),
            "slice" => ParseFault(verb, FaultMode.Slice, args, out error),
            "reset" => NoArguments(verb, new ResetInstruction(), args, out error),
            "refuse" => ParseRefuse(args, out error),
            "status" => NoArguments(verb, new StatusInstruction(), args, out error),
            "help" or "?" => NoArguments(verb, new HelpInstruction(), args, out error),
            _ => Unknown(words[0], out error),
        };
        return instruction is not null;
    }

    public static string ModeName(FaultMode mode) => mode switch
    {
        FaultMode.BlackHole => "blackhole",
        _ => mode.ToString().ToLowerInvariant(),
    };

    public static string DirectionName(FaultDirection direction) => direction switch
    {
        FaultDirection.ClientToServer => "up",
        FaultDirection.ServerToClient => "down",
        _ => "both",
    };

    private static FaultInstruction? ParseFault(string verb, FaultMode mode, ReadOnlySpan<string> args, out string? error)
    {
        var direction = FaultDirection.Both;
        var hasDirection = args.Length > 0 && TryParseDirection(args[^1], out direction);
        if (hasDirection)
        {
            args = args[..^1];
        }

        var (min, max) = mode switch
        {
            FaultMode.Delay => (1, 1),
            FaultMode.Slice => (1, 2),
            _ => (0, 0),
        };
        if (args.Length < min)
        {
            error = $"{verb}: {(mode == FaultMode.Delay ? "a duration" : "a byte count")} is required (usage: {Syntax(verb)})";
            return null;
        }

        if (args.Length > max)
        {
            // One word too many where the direction goes is most likely a misspelt direction.
            error = args.Length == max + 1 && !hasDirection
                ? $"{verb}: '{args[max]}' is not a direction ({Directions})"
                : $"{verb}: unexpected '{string.Join(' ', args[max..].ToArray())}' (usage: {Syntax(verb)})";
            return null;
        }

        switch (mode)
        {
            case FaultMode.Delay:
                return TryParseDuration(verb, args[0], out var delay, out error)
                    ? new FaultInstruction(mode, direction, Delay: delay)
                    : null;
            case FaultMode.Slice:
                if (!int.TryParse(args[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bytes))
                {
                    error = $"{verb}: '{args[0]}' is not a whole number of bytes (usage: {Syntax(verb)})";
                    return null;
                }

                if (bytes < 1)
                {
                    error = $"{verb}: N must be at least 1, not {bytes.ToString(CultureInfo.InvariantCulture)}";
                    return null;
                }

                var pause = TimeSpan.Zero;
                if (args.Length > 1 && !TryParseDuration(verb, args[1], out pause, out error))
                {
                    return null;
                }

                error = null;
                return new FaultInstruction(mode, direction, SliceBytes: bytes, Pause: pause);
            default:
                error = null;
                return new FaultInstruction(mode, direction);
        }
    }

    private static RefuseInstruction? ParseRefuse(ReadOnlySpan<string> args, out string? error)
    {
        switch (args.Length == 1 ? args[0].ToLowerInvariant() : null)
        {
            case "on":
                error = null;
                return new RefuseInstruction(true);
            case "off":
                error = null;
                return new RefuseInstruction(false);
            default:
                error = args.Length == 1
                    ? $"refuse: '{args[0]}' is not on or off"
                    : $"refuse: expected on or off (usage: {Syntax("refuse")})";
                return null;
        }
    }

    private static ProxyInstruction? NoArguments(string verb, ProxyInstruction instruction, ReadOnlySpan<string> args, out string? error)
    {
        error = args.Length == 0 ? null : $"{verb}: unexpected '{string.Join(' ', args.ToArray())}' ({verb} takes no arguments)";
        return error is null ? instruction : null;
    }

    private static ProxyInstruction? Unknown(string word, out string? error)
    {
        error = $"unknown command '{word}' (one of pass, blackhole, delay, slice, reset, refuse, status, help)";
        return null;
    }

    private static bool TryParseDirection(string word, out FaultDirection direction)
    {
        switch (word.ToLowerInvariant())
        {
            case "up":
                direction = FaultDirection.ClientToServer;
                return true;
            case "down":
                direction = FaultDirection.ServerToClient;
                return true;
            case "both":
                direction = FaultDirection.Both;
                return true;
            default:
                direction = default;
                return false;
        }
    }

    private static bool TryParseDuration(string verb, string word, out TimeSpan value, out string? error)
    {
        if (!DurationParser.TryParse(word, out value, out error))
        {
            error = $"{verb}: {error}";
            return false;
        }

        if (value > TcpFaultProxy.MaxDelay)
        {
            error = $"{verb}: '{word}' is too long (at most {DurationParser.Format(TcpFaultProxy.MaxDelay)})";
            return false;
        }

        return true;
    }

    private static string Syntax(string verb) => Commands.First(c => c.Syntax.StartsWith(verb + " ", StringComparison.Ordinal)).Syntax;
}
