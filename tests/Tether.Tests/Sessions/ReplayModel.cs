using Tether.Sessions;

namespace Tether.Tests.Sessions;

/// <summary>
/// The obviously correct <see cref="ReplayBuffer"/>: a list of (sequence, payload) pairs. The properties apply every
/// operation to both and compare.
/// </summary>
internal sealed class ReplayModel
{
    private readonly List<(ulong Sequence, byte[] Payload)> _held = [];

    public ulong LastSequence { get; private set; }

    public ulong Acknowledged { get; private set; }

    public int Count => _held.Count;

    public int Bytes => _held.Sum(entry => entry.Payload.Length);

    public IReadOnlyList<(ulong Sequence, byte[] Payload)> Held => _held;

    public ulong Append(byte[] payload)
    {
        _held.Add((++LastSequence, payload));
        return LastSequence;
    }

    public AckOutcome Acknowledge(ulong ack)
    {
        if (ack > LastSequence)
        {
            return AckOutcome.BeyondLastSent;
        }

        if (ack <= Acknowledged)
        {
            return AckOutcome.Stale;
        }

        _held.RemoveAll(entry => entry.Sequence <= ack);
        Acknowledged = ack;
        return AckOutcome.Freed;
    }

    public void Clear()
    {
        _held.Clear();
        Acknowledged = LastSequence;
    }

    /// <summary>Returns false (and changes nothing) when something is held, where the real buffer throws.</summary>
    public bool StartAfter(ulong lastSequence)
    {
        if (_held.Count != 0)
        {
            return false;
        }

        LastSequence = Acknowledged = lastSequence;
        return true;
    }

    /// <summary>Asserts that <paramref name="buffer"/> is in the same state, byte for byte, and holds arrays when not empty.</summary>
    public void AssertMatches(ReplayBuffer buffer)
    {
        Assert.Equal(LastSequence, buffer.LastSequence);
        Assert.Equal(Acknowledged, buffer.Acknowledged);
        Assert.Equal(Count, buffer.Count);
        Assert.Equal(Bytes, buffer.Bytes);

        // Walk the buffer without copying: each entry's two pieces against the model's payload.
        var index = 0;
        foreach (var entry in buffer)
        {
            if (index >= _held.Count)
            {
                Assert.Fail($"the buffer enumerates more than the {_held.Count} messages held");
            }

            var (sequence, payload) = _held[index++];
            Assert.Equal(sequence, entry.Sequence);
            if (entry.Length != payload.Length
                || !entry.First.SequenceEqual(payload.AsSpan(0, entry.First.Length))
                || !entry.Second.SequenceEqual(payload.AsSpan(entry.First.Length)))
            {
                Assert.Fail($"payload of seq {sequence} differs: expected {payload.Length} bytes, got {entry.Length} bytes ({entry.First.Length} + {entry.Second.Length}){FirstDifference(payload, ReplayBufferInspection.Join(entry))}");
            }
        }

        Assert.Equal(_held.Count, index);

        // An emptied buffer may keep its arrays until TrimIfUnused; one that holds messages must have them.
        if (Count > 0)
        {
            Assert.True(buffer.HoldsByteRing(), $"with {Count} messages held the byte ring should be allocated");
            Assert.True(buffer.HoldsLengthRing(), $"with {Count} messages held the length ring should be allocated");
        }
    }

    private static string FirstDifference(byte[] expected, byte[] actual)
    {
        var common = Math.Min(expected.Length, actual.Length);
        for (var i = 0; i < common; i++)
        {
            if (expected[i] != actual[i])
            {
                return $", first difference at offset {i}";
            }
        }

        return string.Empty;
    }
}
