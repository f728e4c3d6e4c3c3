using System.Reflection;
using FsCheck;
using FsCheck.Fluent;
using Tether.Sessions;

namespace Tether.Tests.Sessions;

/// <summary>
/// A payload described by its length and a seed, so that large payloads are cheap to generate, to shrink and to print;
/// <see cref="ToBytes"/> always gives the same pseudo-random bytes for the same description.
/// </summary>
internal readonly record struct PayloadSpec(int Length, int Seed)
{
    public byte[] ToBytes()
    {
        var bytes = new byte[Length];
        var state = unchecked(((uint)Seed * 2654435761u) | 1u);
        for (var i = 0; i < bytes.Length; i++)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            bytes[i] = (byte)state;
        }

        return bytes;
    }

    public override string ToString() => $"{Length}B#{Seed}";
}

/// <summary>Generators shared by the session properties.</summary>
internal static class SessionGen
{
    /// <summary>
    /// Payload sizes from empty to larger than the replay buffer's first ring (4096 bytes), so that appends grow the
    /// ring and wrap inside payloads.
    /// </summary>
    public static Gen<int> PayloadLength { get; } = Gen.Frequency(
        (2, Gen.Constant(0)),
        (6, Gen.Choose(1, 200)),
        (3, Gen.Choose(201, 3000)),
        (1, Gen.Choose(4097, 12000)));

    public static Gen<PayloadSpec> Payload { get; } =
        from length in PayloadLength
        from seed in Gen.Choose(0, int.MaxValue)
        select new PayloadSpec(length, seed);

    /// <summary>Any u64, biased towards the edges.</summary>
    public static Gen<ulong> AnyULong { get; } = Gen.Frequency(
        (1, Gen.Elements(0UL, 1UL, ulong.MaxValue - 1, ulong.MaxValue)),
        (4, from high in Gen.Choose(0, int.MaxValue)
            from low in Gen.Choose(0, int.MaxValue)
            from top in Gen.Elements(0UL, 1UL << 63)
            select top | ((ulong)high << 32) | (uint)low),
        (4, Gen.Choose(0, 1000).Select(small => (ulong)small)));

    /// <summary>Ack policies with small thresholds, so acks become due often; sometimes never by bytes.</summary>
    public static Gen<AckPolicy> Policy { get; } =
        from messages in Gen.Choose(1, 10)
        from bytes in Gen.Frequency(
            (1, Gen.Choose(1, 64)),
            (2, Gen.Choose(65, 5000)),
            (1, Gen.Constant(int.MaxValue)))
        from delay in Gen.Choose(1, 1000)
        select new AckPolicy(messages, bytes, delay);

    /// <summary>Shrinks an array by removing runs of elements, halves first, then single elements.</summary>
    public static IEnumerable<T[]> ShrinkByRemoval<T>(T[] items)
    {
        for (var chunk = Math.Max(1, items.Length / 2); chunk >= 1 && items.Length > 0; chunk /= 2)
        {
            for (var start = 0; start + chunk <= items.Length; start += chunk)
            {
                yield return [.. items[..start], .. items[(start + chunk)..]];
            }
        }
    }
}

/// <summary>Test-side views of a <see cref="ReplayBuffer"/>: what it holds, copied out, and which arrays it keeps.</summary>
internal static class ReplayBufferInspection
{
    private static readonly FieldInfo BytesField = Field("_bytes");
    private static readonly FieldInfo LengthsField = Field("_lengths");

    /// <summary>Every held message as (sequence, payload), joining the two pieces of a payload the ring wraps inside.</summary>
    public static List<(ulong Sequence, byte[] Payload)> Held(this ReplayBuffer buffer)
    {
        var held = new List<(ulong Sequence, byte[] Payload)>();
        foreach (var entry in buffer)
        {
            held.Add((entry.Sequence, Join(entry)));
        }

        return held;
    }

    /// <summary>How many held messages the ring currently stores in two pieces.</summary>
    public static int WrappedEntries(this ReplayBuffer buffer)
    {
        var wrapped = 0;
        foreach (var entry in buffer)
        {
            if (entry.Second.Length > 0)
            {
                wrapped++;
            }
        }

        return wrapped;
    }

    public static byte[] Join(ReplayBuffer.Entry entry)
    {
        var payload = new byte[entry.Length];
        entry.First.CopyTo(payload);
        entry.Second.CopyTo(payload.AsSpan(entry.First.Length));
        return payload;
    }

    /// <summary>Whether the private payload ring (<c>_bytes</c>) is allocated.</summary>
    public static bool HoldsByteRing(this ReplayBuffer buffer) => BytesField.GetValue(buffer) is not null;

    /// <summary>The length of the private payload ring, 0 when none is allocated.</summary>
    public static int ByteRingLength(this ReplayBuffer buffer) => (BytesField.GetValue(buffer) as byte[])?.Length ?? 0;

    /// <summary>Whether the private length ring (<c>_lengths</c>) is allocated.</summary>
    public static bool HoldsLengthRing(this ReplayBuffer buffer) => LengthsField.GetValue(buffer) is not null;

    private static FieldInfo Field(string name) =>
        typeof(ReplayBuffer).GetField(name, BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new InvalidOperationException($"ReplayBuffer has no private field {name}: update the test");
}
