using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Tether.Fuzz.Engine;

/// <summary>Applies <see cref="Mutation"/>s to a copy of a stream.</summary>
internal static class Mutator
{
    private const int MaxRun = 32;

    /// <summary>
    /// The mutated copy. Length fields are set first, while the offsets recorded for the valid stream still point at
    /// them; the other mutations follow in order.
    /// </summary>
    public static byte[] Apply(ReadOnlySpan<byte> stream, IReadOnlyList<LengthField> fields, IEnumerable<Mutation> mutations)
    {
        var bytes = new List<byte>(stream.ToArray());
        var ordered = mutations.OrderBy(m => m.Kind == MutationKind.SetLengthField ? 0 : 1);
        foreach (var mutation in ordered)
        {
            Apply(bytes, fields, mutation);
        }

        return [.. bytes];
    }

    /// <summary>The lengths worth trying in <paramref name="field"/> that holds <paramref name="current"/>, by choice.</summary>
    private static ulong ExtremeLength(LengthField field, ulong current, int choice)
    {
        var widest = field.Width == 2 ? ushort.MaxValue : (ulong)uint.MaxValue;
        ulong[] extremes =
        [
            0, (ulong)field.Limit, (ulong)field.Limit + 1, widest, widest >> 1, (widest >> 1) + 1, current - 1, current + 1,
        ];
        return extremes[(int)((uint)choice % extremes.Length)] & widest;
    }

    private static void Apply(List<byte> bytes, IReadOnlyList<LengthField> fields, Mutation mutation)
    {
        var count = bytes.Count;
        var at = count == 0 ? 0 : (int)((uint)mutation.Position % (uint)count);
        var run = 1 + (int)((uint)mutation.Length % MaxRun);
        switch (mutation.Kind)
        {
            case MutationKind.FlipBit when count > 0:
                bytes[at] ^= (byte)(1 << (mutation.Value & 7));
                break;
            case MutationKind.OverwriteByte when count > 0:
                bytes[at] = (byte)mutation.Value;
                break;
            case MutationKind.Insert:
                bytes.InsertRange((int)((uint)mutation.Position % (uint)(count + 1)), Enumerable.Repeat((byte)mutation.Value, run));
                break;
            case MutationKind.Delete when count > 0:
                bytes.RemoveRange(at, Math.Min(run, count - at));
                break;
            case MutationKind.Truncate:
                var keep = (int)((uint)mutation.Position % (uint)(count + 1));
                bytes.RemoveRange(keep, count - keep);
                break;
            case MutationKind.DuplicateRange when count > 0:
                var length = Math.Min(run, count - at);
                bytes.InsertRange(at + length, bytes.GetRange(at, length));
                break;
            case MutationKind.SetLengthField when fields.Count > 0:
                SetLength(bytes, fields[(int)((uint)mutation.Position % (uint)fields.Count)], mutation.Value);
                break;
        }
    }

    private static void SetLength(List<byte> bytes, LengthField field, int choice)
    {
        if (field.Offset + field.Width > bytes.Count)
        {
            return;
        }

        var raw = CollectionsMarshal.AsSpan(bytes).Slice(field.Offset, field.Width);
        var current = field.Width == 2 ? BinaryPrimitives.ReadUInt16BigEndian(raw) : BinaryPrimitives.ReadUInt32BigEndian(raw);
        var value = ExtremeLength(field, current, choice);
        for (var i = 0; i < field.Width; i++)
        {
            bytes[field.Offset + i] = (byte)(value >> (8 * (field.Width - 1 - i)));
        }
    }
}
