using Tether.Protocol;

namespace Tether.Fuzz.Engine;

/// <summary>What decoding a stream gave: the messages, the bytes left waiting for more, and the protocol error if any.</summary>
internal sealed record FuzzOutcome(IReadOnlyList<byte[]> Messages, long Leftover, CloseCode? Error)
{
    /// <summary>
    /// In an expected outcome, a second error the decoder may report instead of <see cref="Error"/>: the protocol lets a
    /// receiver name any one of the rules a header breaks.
    /// </summary>
    public CloseCode? AlternativeError { get; init; }

    /// <summary>
    /// Same messages and an error <paramref name="expected"/> allows. The leftover counts only without an error: how
    /// much of a rejected frame was buffered when it was rejected depends on where the reads fell.
    /// </summary>
    public bool Matches(FuzzOutcome expected) =>
        (Error == expected.Error || (Error is not null && Error == expected.AlternativeError))
        && (Error is not null || Leftover == expected.Leftover)
        && Messages.Count == expected.Messages.Count
        && Messages.Zip(expected.Messages).All(pair => pair.First.AsSpan().SequenceEqual(pair.Second));

    /// <summary>A short description for failure reports, e.g. <c>3 messages, 2 bytes waiting</c>.</summary>
    public override string ToString() =>
        $"{Messages.Count} message(s), " + (Error is { } code ? $"then {code.ToWireName()}" : $"{Leftover} byte(s) waiting");
}
