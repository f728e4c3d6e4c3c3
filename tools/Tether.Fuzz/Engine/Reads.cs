using System.Buffers;

namespace Tether.Fuzz.Engine;

/// <summary>
/// A stream cut into socket reads, as a pipe holds them: one segment per read, so frames and the unconsumed rest span
/// segments.
/// </summary>
internal sealed class Reads
{
    private Reads(ReadOnlySequence<byte> sequence, IReadOnlyList<SequencePosition> ends)
    {
        Sequence = sequence;
        Ends = ends;
    }

    /// <summary>All the reads as one sequence.</summary>
    public ReadOnlySequence<byte> Sequence { get; }

    /// <summary>Where each read ends in <see cref="Sequence"/>.</summary>
    public IReadOnlyList<SequencePosition> Ends { get; }

    /// <summary>
    /// Cuts <paramref name="stream"/> at <paramref name="cuts"/>, taken modulo its length, in any order and with
    /// repeats, so any integers describe a valid split (and shrink to fewer reads).
    /// </summary>
    public static IReadOnlyList<byte[]> Cut(byte[] stream, IEnumerable<int> cuts)
    {
        if (stream.Length == 0)
        {
            return [stream];
        }

        var points = cuts.Select(c => (int)((uint)c % (uint)stream.Length))
            .Append(0).Append(stream.Length).Distinct().Order().ToArray();
        var chunks = new List<byte[]>(points.Length - 1);
        for (var i = 1; i < points.Length; i++)
        {
            chunks.Add(stream[points[i - 1]..points[i]]);
        }

        return chunks;
    }

    /// <summary>One segment per chunk, each its own array, so nothing reads across a segment by accident.</summary>
    public static Reads Of(IReadOnlyList<byte[]> chunks)
    {
        var first = new Segment(chunks[0], 0);
        var last = first;
        var ends = new List<SequencePosition> { new(first, chunks[0].Length) };
        foreach (var chunk in chunks.Skip(1))
        {
            last = last.Append(chunk);
            ends.Add(new SequencePosition(last, chunk.Length));
        }

        return new Reads(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length), ends);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
