using System.Buffers;
using BenchmarkDotNet.Attributes;
using Tether.Protocol;

namespace Tether.Benchmarks;

/// <summary>
/// Cutting frames off a receive buffer and reading their DATA fields, as a receive loop does: a buffer holding 100 DATA
/// frames of 64 B is decoded per invocation, and the figures are per frame. Must allocate nothing.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("Protocol")]
public class FrameDecodeBenchmarks
{
    private const int Frames = 100;
    private const int PayloadLength = 64;
    private const int MaxBody = ProtocolConstants.DefaultMaxFrameSize;

    private ReadOnlySequence<byte> _single;
    private ReadOnlySequence<byte> _pipeSegments;
    private ReadOnlySequence<byte> _fragmented;

    [GlobalSetup]
    public void Setup()
    {
        var bytes = Payloads.DataFrames(Frames, PayloadLength);
        _single = new ReadOnlySequence<byte>(bytes);

        // 4 KiB segments, the size System.IO.Pipelines hands out: a frame now and then straddles two segments.
        _pipeSegments = BufferSegment.Split(bytes, 4096);

        // 29-byte segments: every frame's header, body or both straddle segments (the worst case for the reader).
        _fragmented = BufferSegment.Split(bytes, 29);

        // Sanity check: each layout decodes to the same 100 messages.
        foreach (var sequence in new[] { _single, _pipeSegments, _fragmented })
        {
            if (Decode(sequence) != Frames * PayloadLength)
            {
                throw new InvalidOperationException("the decode benchmark's input does not decode to 100 DATA frames");
            }
        }
    }

    [Benchmark(Description = "TryRead+DataFrame.Parse, single segment", OperationsPerInvoke = Frames)]
    public long Decode_SingleSegment() => Decode(_single);

    [Benchmark(Description = "TryRead+DataFrame.Parse, 4 KiB segments", OperationsPerInvoke = Frames)]
    public long Decode_MultiSegment4KiB() => Decode(_pipeSegments);

    [Benchmark(Description = "TryRead+DataFrame.Parse, 29 B segments", OperationsPerInvoke = Frames)]
    public long Decode_MultiSegmentFragmented() => Decode(_fragmented);

    private static long Decode(ReadOnlySequence<byte> buffer)
    {
        long payloadBytes = 0;
        while (TetherFrame.TryRead(ref buffer, MaxBody, out var frame))
        {
            var data = DataFrame.Parse(frame);
            payloadBytes += data.Payload.Length;
        }

        return payloadBytes;
    }

    /// <summary>A linked segment, to build multi-segment sequences like those a pipe produces.</summary>
    private sealed class BufferSegment : ReadOnlySequenceSegment<byte>
    {
        private BufferSegment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public static ReadOnlySequence<byte> Split(byte[] bytes, int segmentLength)
        {
            var first = new BufferSegment(bytes.AsMemory(0, Math.Min(segmentLength, bytes.Length)), 0);
            var last = first;
            for (var offset = last.Memory.Length; offset < bytes.Length; offset += segmentLength)
            {
                var next = new BufferSegment(bytes.AsMemory(offset, Math.Min(segmentLength, bytes.Length - offset)), offset);
                last.Next = next;
                last = next;
            }

            return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }
    }
}
