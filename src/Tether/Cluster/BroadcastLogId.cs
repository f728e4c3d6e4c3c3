using System.Globalization;

namespace Tether.Cluster;

/// <summary>
/// An entry id of the cluster's broadcast log (a Redis stream id, "milliseconds-sequence") packed into one ulong that
/// orders the same way: 42 bits of milliseconds (to the year 2109), 22 bits of sequence within a millisecond. 0 is
/// "before everything".
/// </summary>
internal static class BroadcastLogId
{
    private const int SequenceBits = 22;
    private const ulong MaxSequence = (1UL << SequenceBits) - 1;

    /// <summary>Parses "ms-seq"; 0 for anything else (an empty log's "0-0" included).</summary>
    public static ulong Parse(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return 0;
        }

        var dash = id.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0
            || !ulong.TryParse(id.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds)
            || !ulong.TryParse(id.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || sequence > MaxSequence
            || milliseconds >> (64 - SequenceBits) != 0)
        {
            return 0;
        }

        return (milliseconds << SequenceBits) | sequence;
    }

    /// <summary>The "ms-seq" form of a packed id.</summary>
    public static string Format(ulong id) =>
        string.Create(CultureInfo.InvariantCulture, $"{id >> SequenceBits}-{id & MaxSequence}");
}
