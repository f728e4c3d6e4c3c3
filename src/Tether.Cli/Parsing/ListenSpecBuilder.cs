using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Text;
using Tether.Framing;

namespace Tether.Cli.Parsing;

/// <summary>
/// Turns the keys of one <c>--listen</c> value, already checked to be known, allowed for the framing and not repeated,
/// into a <see cref="ListenSpec"/>: reads each value and checks how the values combine.
/// </summary>
internal sealed class ListenSpecBuilder(string framingName, IReadOnlyDictionary<string, string?> keys)
{
    public bool TryBuild(IPEndPoint endPoint, [NotNullWhen(true)] out ListenSpec? spec, [NotNullWhen(false)] out string? error)
    {
        spec = null;
        if (keys.TryGetValue(ListenSyntax.Tls, out var tlsValue) && tlsValue is not null)
        {
            error = $"'{ListenSyntax.Tls}' takes no value (the certificate comes from --tls-cert)";
            return false;
        }

        var tls = keys.ContainsKey(ListenSyntax.Tls);
        if (framingName == ListenSyntax.Tether)
        {
            spec = new ListenSpec(endPoint, framing: null) { Tls = tls };
            error = null;
            return true;
        }

        // Keys are read in this fixed order whatever order they were typed in, so which error is reported first does
        // not depend on it; the header comes first because it bounds max-length.
        if (!TryHeader(out var prefix, out error) || !TryMaxLength(prefix, out var maxLength, out error))
        {
            return false;
        }

        IFraming framing = framingName switch
        {
            ListenSyntax.Lines => new LineFraming(maxLength ?? LineFraming.DefaultMaxLineLength),
            ListenSyntax.LengthPrefixed => new LengthPrefixedFraming(prefix, maxLength),
            _ => RawFraming.Instance,
        };
        if (!TryDuration(ListenSyntax.IdleTimeout, out var idleTimeout, out error)
            || !TryText(ListenSyntax.Probe, framing, ListenSyntax.DefaultPing, out var probe, out error)
            || !TryDuration(ListenSyntax.ProbeInterval, out var probeInterval, out error)
            || !TryText(ListenSyntax.Ping, framing, ListenSyntax.DefaultPing, out var ping, out error)
            || !TryText(ListenSyntax.Pong, framing, whenAlone: null, out var pong, out error))
        {
            return false;
        }

        error = CheckCombination(probe, probeInterval, ping, pong);
        if (error is not null)
        {
            return false;
        }

        spec = new ListenSpec(endPoint, framing)
        {
            Tls = tls,
            IdleTimeout = idleTimeout,
            Probe = probe,
            ProbeInterval = probeInterval,
            Ping = ping,
            // A bare "ping" means PING answered by PONG, unless a pong is given.
            Pong = pong ?? (ping is null ? null : Encoding.ASCII.GetBytes(ListenSyntax.DefaultPong)),
        };
        return true;
    }

    private string? CheckCombination(byte[]? probe, TimeSpan? probeInterval, byte[]? ping, byte[]? pong)
    {
        if (probeInterval is not null && probe is null)
        {
            return $"'{ListenSyntax.ProbeInterval}' needs '{ListenSyntax.Probe}': without a probe nothing is sent";
        }

        if (pong is not null && ping is null)
        {
            return $"'{ListenSyntax.Pong}' needs '{ListenSyntax.Ping}': the pong is the answer to a ping";
        }

        if (pong is null && keys.GetValueOrDefault(ListenSyntax.Ping) is { } pingText)
        {
            return $"'{ListenSyntax.Ping}={pingText}' needs '{ListenSyntax.Pong}=TEXT', the answer to send";
        }

        // With equal texts every answer would be a new ping: two such peers would answer each other forever.
        if (ping is not null && pong is not null && ping.AsSpan().SequenceEqual(pong))
        {
            return $"'{ListenSyntax.Ping}' and '{ListenSyntax.Pong}' are both '{keys[ListenSyntax.Pong]}': the answer would be taken for a new ping";
        }

        return null;
    }

    private bool TryHeader(out LengthPrefix prefix, [NotNullWhen(false)] out string? error)
    {
        prefix = LengthPrefix.UInt32;
        error = null;
        if (!keys.TryGetValue(ListenSyntax.Header, out var value))
        {
            return true;
        }

        if (value is null)
        {
            error = $"'{ListenSyntax.Header}' needs a value: {ListenSyntax.Header}=u16 or {ListenSyntax.Header}=u32";
        }
        else if (value.Equals("u16", StringComparison.OrdinalIgnoreCase))
        {
            prefix = LengthPrefix.UInt16;
        }
        else if (!value.Equals("u32", StringComparison.OrdinalIgnoreCase))
        {
            error = $"{ListenSyntax.Header}: '{value}' is not u16 or u32";
        }

        return error is null;
    }

    private bool TryMaxLength(LengthPrefix prefix, out int? maxLength, [NotNullWhen(false)] out string? error)
    {
        const string Key = ListenSyntax.MaxLength;
        maxLength = null;
        error = null;
        if (!keys.TryGetValue(Key, out var value))
        {
            return true;
        }

        // The bounds of LineFraming and LengthPrefixedFraming, checked here so that the error names the key.
        var u16 = framingName == ListenSyntax.LengthPrefixed && prefix == LengthPrefix.UInt16;
        var limit = framingName == ListenSyntax.Lines ? int.MaxValue - 2
            : u16 ? ushort.MaxValue
            : int.MaxValue - (int)LengthPrefix.UInt32;
        var tooLong = u16
            ? $"{Key}: {value} does not fit a u16 header (at most {Format(limit)}; use {ListenSyntax.Header}=u32)"
            : $"{Key}: must be at most {Format(limit)}, not {value}";
        if (value is null)
        {
            error = $"'{Key}' needs a value, e.g. {Key}=65536";
        }
        else if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            // Digits that do not fit an int are a number too large, not a typo.
            error = value.Length > 0 && value.All(char.IsAsciiDigit) ? tooLong : $"{Key}: '{value}' is not a whole number of bytes";
        }
        else if (parsed < 1)
        {
            error = $"{Key}: must be at least 1, not {value}";
        }
        else if (parsed > limit)
        {
            error = tooLong;
        }
        else
        {
            maxLength = parsed;
        }

        return error is null;
    }

    private bool TryDuration(string key, out TimeSpan? duration, [NotNullWhen(false)] out string? error)
    {
        duration = null;
        error = null;
        if (!keys.TryGetValue(key, out var value))
        {
            return true;
        }

        if (value is null)
        {
            error = $"'{key}' needs a value, e.g. {key}=30s";
        }
        else if (!DurationParser.TryParse(value, out var parsed, out var reason))
        {
            error = $"{key}: {reason}";
        }
        else if (parsed == TimeSpan.Zero)
        {
            error = $"{key}: must be more than zero";
        }
        else
        {
            duration = parsed;
        }

        return error is null;
    }

    /// <summary>Reads a TEXT value; <paramref name="whenAlone"/> is what the key means without '=', null if it needs one.</summary>
    private bool TryText(string key, IFraming framing, string? whenAlone, out byte[]? bytes, [NotNullWhen(false)] out string? error)
    {
        bytes = null;
        error = null;
        if (!keys.TryGetValue(key, out var value))
        {
            return true;
        }

        if (value is null)
        {
            if (whenAlone is null)
            {
                error = $"'{key}' needs a value, e.g. {key}={ListenSyntax.DefaultPong}";
                return false;
            }

            bytes = Encoding.ASCII.GetBytes(whenAlone);
            return true;
        }

        if (value.Length == 0)
        {
            error = whenAlone is null ? $"'{key}=' is empty" : $"'{key}=' is empty (write '{key}' alone for {whenAlone})";
            return false;
        }

        if (!EscapedText.TryDecode(value, out bytes, out var reason))
        {
            error = $"{key}: {reason}";
            return false;
        }

        error = Unframeable(bytes, framing) is { } why ? $"{key}: '{value}' {why}" : null;
        return error is null;
    }

    /// <summary>Why <paramref name="framing"/> could not carry <paramref name="bytes"/> as one message, or null if it can.</summary>
    private static string? Unframeable(byte[] bytes, IFraming framing) => framing switch
    {
        // A probe or pong with a newline could not be written, and a ping with one would never match a received line;
        // a trailing '\r' would be read back as part of the line ending.
        LineFraming when bytes.Contains((byte)'\n') => "contains a newline, which ends a line (lines adds one itself)",
        LineFraming when bytes[^1] == (byte)'\r' => @"ends with \r, which would be read as part of the line ending",
        LengthPrefixedFraming { Prefix: LengthPrefix.UInt16 } when bytes.Length > ushort.MaxValue =>
            $"is {Format(bytes.Length)} bytes, more than a u16 header can express ({Format(ushort.MaxValue)})",
        _ => null,
    };

    private static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);
}
