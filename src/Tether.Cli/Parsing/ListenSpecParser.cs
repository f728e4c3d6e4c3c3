using System.Diagnostics.CodeAnalysis;
using Tether.Framing;

namespace Tether.Cli.Parsing;

/// <summary>
/// Reads a <c>--listen</c> value, <c>[FRAMING@]HOST:PORT[,KEY[=VALUE]]...</c>: e.g. <c>127.0.0.1:7447</c> (the Tether
/// protocol), <c>lines@127.0.0.1:7448,ping,idle-timeout=2m</c>, <c>length-prefixed@:9000,header=u16</c>,
/// <c>raw@[::1]:8888,probe=PING\n</c>.
/// </summary>
internal static class ListenSpecParser
{
    /// <summary>
    /// Parses <paramref name="text"/>. FRAMING is <c>tether</c> (the default), <c>lines</c>, <c>length-prefixed</c> or
    /// <c>raw</c>; HOST:PORT is read by <see cref="EndPointParser.TryParseListen"/>. Plain framings take the keys
    /// <c>idle-timeout=DURATION</c>, <c>probe[=TEXT]</c>, <c>probe-interval=DURATION</c>, <c>ping[=TEXT]</c>,
    /// <c>pong=TEXT</c>, <c>max-length=BYTES</c> (lines, length-prefixed) and <c>header=u16|u32</c> (length-prefixed);
    /// TEXT is <see cref="EscapedText"/>. Framing names, keys and header values ignore case. On failure
    /// <paramref name="error"/> is one line naming the offending part, without naming the option.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out ListenSpec? spec, [NotNullWhen(false)] out string? error)
    {
        spec = null;
        // Commas end a value, so a text that needs one writes it as \x2c; HOST:PORT never holds '@' or ','.
        var parts = (text?.Trim() ?? string.Empty).Split(',');
        var (framingName, address) = parts[0].IndexOf('@', StringComparison.Ordinal) is var at and >= 0
            ? (parts[0][..at], parts[0][(at + 1)..])
            : (ListenSyntax.Tether, parts[0]);
        var framing = ListenSyntax.Framings.FirstOrDefault(name => name.Equals(framingName, StringComparison.OrdinalIgnoreCase));
        if (framing is null)
        {
            error = framingName.Length == 0
                ? $"'{parts[0]}' has no framing before '@' (use {ListenSyntax.FramingList})"
                : $"unknown framing '{framingName}' (use {ListenSyntax.FramingList})";
            return false;
        }

        if (!EndPointParser.TryParseListen(address, out var endPoint, out var addressError))
        {
            error = addressError!;
            return false;
        }

        return TryReadKeys(framing, parts.AsSpan(1), out var keys, out error)
            && new ListenSpecBuilder(framing, keys).TryBuild(endPoint!, out spec, out error);
    }

    /// <summary>Splits <c>KEY[=VALUE]</c> parts into canonical keys and their values (null without '=').</summary>
    private static bool TryReadKeys(
        string framing, ReadOnlySpan<string> parts, [NotNullWhen(true)] out Dictionary<string, string?>? keys, [NotNullWhen(false)] out string? error)
    {
        keys = new Dictionary<string, string?>(StringComparer.Ordinal);
        var valid = ListenSyntax.KeysOf(framing);
        foreach (var part in parts)
        {
            var (typed, value) = part.IndexOf('=', StringComparison.Ordinal) is var equals and >= 0
                ? (part[..equals], part[(equals + 1)..])
                : (part, (string?)null);
            var key = ListenSyntax.Keys.FirstOrDefault(k => k.Equals(typed, StringComparison.OrdinalIgnoreCase));
            error = (key, framing) switch
            {
                _ when part.Length == 0 => "empty key (a stray ',')",
                (null, ListenSyntax.Tether) => $"unknown key '{typed}': tether listeners take only '{ListenSyntax.Tls}'",
                (null, _) => $"unknown key '{typed}' for {framing} (valid: {string.Join(", ", valid)})",
                (ListenSyntax.Tls, _) when keys.ContainsKey(key) => $"'{key}' is given twice",
                (ListenSyntax.Tls, _) => null,
                (_, ListenSyntax.Tether) => $"'{key}' is for plain listeners ({ListenSyntax.Lines}, {ListenSyntax.LengthPrefixed}, {ListenSyntax.Raw}); "
                    + $"tether listeners take only '{ListenSyntax.Tls}' (their liveness is --heartbeat and --timeout)",
                (ListenSyntax.MaxLength, ListenSyntax.Raw) => $"'{key}' is not valid for raw: raw reads at most {RawFraming.ReadSize} bytes per message",
                (ListenSyntax.Header, _) when framing != ListenSyntax.LengthPrefixed => $"'{key}' is only valid for {ListenSyntax.LengthPrefixed}, not {framing}",
                _ when !valid.Contains(key) => $"'{key}' is not valid for {framing} (valid: {string.Join(", ", valid)})",
                _ when keys.ContainsKey(key) => $"'{key}' is given twice",
                _ => null,
            };
            if (error is not null)
            {
                keys = null;
                return false;
            }

            keys[key!] = value;
        }

        error = null;
        return true;
    }
}
