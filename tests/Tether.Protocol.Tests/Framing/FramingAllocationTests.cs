using System.Buffers;
using Tether.Framing;
using Tether.Protocol.Tests.Support;

namespace Tether.Protocol.Tests.Framing;

/// <summary>Framings sit on every connection's hot path: reading and writing a message must not allocate.</summary>
public sealed class FramingAllocationTests
{
    private const int Rounds = 1000;

    public static TheoryData<string> FramingNames => ["lines", "u16", "u32", "raw"];

    [Theory]
    [MemberData(nameof(FramingNames))]
    public void Reading_does_not_allocate(string name)
    {
        var framing = Create(name);
        var stream = FramingDriver.Encode(framing, [.. Enumerable.Repeat("a message of some length"u8.ToArray(), 8)]);
        var single = new ReadOnlySequence<byte>(stream);
        var segmented = Sequences.Segmented(Sequences.FixedChunks(stream, 5));

        ReadEverything(framing, single);
        ReadEverything(framing, segmented);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Rounds; i++)
        {
            ReadEverything(framing, single);
            ReadEverything(framing, segmented);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [MemberData(nameof(FramingNames))]
    public void Writing_does_not_allocate(string name)
    {
        var framing = Create(name);
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        var message = "a message of some length"u8.ToArray();

        framing.Write(message, output);
        output.ResetWrittenCount();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Rounds; i++)
        {
            framing.Write(message, output);
            output.ResetWrittenCount();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static IFraming Create(string name) => name switch
    {
        "lines" => new LineFraming(),
        "u16" => new LengthPrefixedFraming(LengthPrefix.UInt16),
        "u32" => new LengthPrefixedFraming(LengthPrefix.UInt32),
        _ => RawFraming.Instance,
    };

    private static void ReadEverything(IFraming framing, ReadOnlySequence<byte> input)
    {
        while (framing.TryRead(ref input, out _))
        {
        }
    }
}
