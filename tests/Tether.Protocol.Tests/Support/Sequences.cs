using System.Buffers;

namespace Tether.Protocol.Tests.Support;

/// <summary>One segment of a hand-built multi-segment <see cref="ReadOnlySequence{T}"/>.</summary>
internal sealed class BufferSegment : ReadOnlySequenceSegment<byte>
{
    public BufferSegment(ReadOnlyMemory<byte> memory) => Memory = memory;

    public BufferSegment Append(ReadOnlyMemory<byte> memory)
    {
        var next = new BufferSegment(memory) { RunningIndex = RunningIndex + Memory.Length };
        Next = next;
        return next;
    }
}

/// <summary>A byte stream cut into chunks, as a multi-segment sequence plus the position where each chunk ends.</summary>
internal sealed record ChunkedStream(ReadOnlySequence<byte> Sequence, IReadOnlyList<SequencePosition> ChunkEnds);

/// <summary>Builds multi-segment sequences the way a socket reader sees them: arbitrary cuts, empty segments included.</summary>
internal static class Sequences
{
    /// <summary>One segment per chunk; every chunk is its own array, so nothing can read across a segment by accident.</summary>
    public static ChunkedStream Build(IReadOnlyList<byte[]> chunks)
    {
        if (chunks.Count == 0)
        {
            return new ChunkedStream(ReadOnlySequence<byte>.Empty, []);
        }

        var first = new BufferSegment(chunks[0]);
        var last = first;
        var ends = new List<SequencePosition> { new(first, first.Memory.Length) };
        foreach (var chunk in chunks.Skip(1))
        {
            last = last.Append(chunk);
            ends.Add(new SequencePosition(last, last.Memory.Length));
        }

        return new ChunkedStream(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length), ends);
    }

    public static ReadOnlySequence<byte> Segmented(IReadOnlyList<byte[]> chunks) => Build(chunks).Sequence;

    /// <summary>Cuts <paramref name="data"/> at the given offsets (ascending; repeated offsets give empty segments).</summary>
    public static IReadOnlyList<byte[]> SplitAt(byte[] data, params int[] cuts)
    {
        var chunks = new List<byte[]>();
        var start = 0;
        foreach (var cut in cuts)
        {
            chunks.Add(data[start..cut]);
            start = cut;
        }

        chunks.Add(data[start..]);
        return chunks;
    }

    /// <summary>Chunks of <paramref name="size"/> bytes (the last one may be shorter).</summary>
    public static IReadOnlyList<byte[]> FixedChunks(byte[] data, int size) =>
        data.Chunk(size).ToList();

    /// <summary>Chunks of 0 to <paramref name="maxChunk"/> bytes; zero-length chunks become empty segments.</summary>
    public static IReadOnlyList<byte[]> RandomChunks(byte[] data, Random random, int maxChunk)
    {
        var chunks = new List<byte[]>();
        var start = 0;
        while (start < data.Length)
        {
            var size = Math.Min(random.Next(maxChunk + 1), data.Length - start);
            chunks.Add(data[start..(start + size)]);
            start += size;
        }

        return chunks;
    }
}
