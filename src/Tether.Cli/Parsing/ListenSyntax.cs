namespace Tether.Cli.Parsing;

/// <summary>The words of the <c>--listen</c> syntax: framing names, keys, and which keys each framing takes.</summary>
internal static class ListenSyntax
{
    public const string Usage = "[FRAMING@]HOST:PORT[,KEY[=VALUE]]...";

    public const string Tether = "tether";
    public const string Lines = "lines";
    public const string LengthPrefixed = "length-prefixed";
    public const string Raw = "raw";

    public const string IdleTimeout = "idle-timeout";
    public const string Probe = "probe";
    public const string ProbeInterval = "probe-interval";
    public const string Ping = "ping";
    public const string Pong = "pong";
    public const string MaxLength = "max-length";
    public const string Header = "header";
    public const string Tls = "tls";

    /// <summary>What a bare <c>probe</c> or <c>ping</c> sends or expects: the usual keepalive of text devices.</summary>
    public const string DefaultPing = "PING";

    /// <summary>The answer to a bare <c>ping</c> when no <c>pong</c> is given.</summary>
    public const string DefaultPong = "PONG";

    public static IReadOnlyList<string> Framings { get; } = [Tether, Lines, LengthPrefixed, Raw];

    public static IReadOnlyList<string> Keys { get; } = [IdleTimeout, Probe, ProbeInterval, Ping, Pong, MaxLength, Header, Tls];

    /// <summary>The framing names for messages: <c>tether, lines, length-prefixed or raw</c>.</summary>
    public static string FramingList { get; } = $"{string.Join(", ", Framings.Take(Framings.Count - 1))} or {Framings[^1]}";

    /// <summary>The keys <paramref name="framing"/> (a name from <see cref="Framings"/>) takes, in help order.</summary>
    public static IReadOnlyList<string> KeysOf(string framing) => framing switch
    {
        Tether => [Tls],
        Lines => [IdleTimeout, Probe, ProbeInterval, Ping, Pong, MaxLength, Tls],
        LengthPrefixed => [IdleTimeout, Probe, ProbeInterval, Ping, Pong, MaxLength, Header, Tls],
        Raw => [IdleTimeout, Probe, ProbeInterval, Ping, Pong, Tls],
        _ => throw new ArgumentOutOfRangeException(nameof(framing), framing, "not a framing name"),
    };
}
