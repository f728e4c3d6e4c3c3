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

        Assert.Equal(0, SteadyStateAllocation(() =>
        {
            ReadEverything(framing, single);
            ReadEverything(framing, segmented);
        }));
    }

    [Theory]
    [MemberData(nameof(FramingNames))]
    public void Writing_does_not_allocate(string name)
    {
        var framing = Create(name);
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        var message = "a message of some length"u8.ToArray();

        Assert.Equal(0, SteadyStateAllocation(() =>
        {
            framing.Write(message, output);
            output.ResetWrittenCount();
        }));
    }

    /// <summary>
    /// Bytes allocated by <see cref="Rounds"/> calls of <paramref name="round"/> after a warm-up: the least of three
    /// measurements, because the runtime may allocate once on this thread while it recompiles a hot method. Anything
    /// allocated per round shows in all three.
    /// </summary>
    private static long SteadyStateAllocation(Action round)
    {
        round();
        var least = long.MaxValue;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Rounds; i++)
            {
                round();
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
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
