namespace Tether.Cli.Conformance;

/// <summary>What one connection produced, in order: a frame, a frame that failed to decode, or the end of the connection.</summary>
internal abstract record ReceivedItem(long Timestamp);

/// <summary>A decoded frame; <see cref="Fields"/> uses the scenario field names (e.g. "seq", "sessionId", "code").</summary>
internal sealed record ReceivedFrame(long Timestamp, string Type, IReadOnlyDictionary<string, object?> Fields) : ReceivedItem(Timestamp)
{
    public override string ToString() => $"{Type} {{{string.Join(", ", Fields.Select(f => $"{f.Key}: {ValueMatcher.Show(f.Value)}"))}}}";
}

/// <summary>A frame the runner could not decode (reserved type, flags, lengths, or a malformed body).</summary>
internal sealed record MalformedFrame(long Timestamp, string Problem) : ReceivedItem(Timestamp)
{
    public override string ToString() => $"a malformed frame ({Problem})";
}

/// <summary>The peer closed (FIN) or reset the connection.</summary>
internal sealed record ConnectionEnd(long Timestamp, string How) : ReceivedItem(Timestamp)
{
    public override string ToString() => $"the connection ended ({How})";
}
