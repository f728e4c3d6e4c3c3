using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tether.Fuzz.Engine;

namespace Tether.Protocol.Tests.Fuzzing;

/// <summary>
/// What decoding hostile input may cost in memory is set by the bytes that arrived, never by the lengths they claim: a
/// header announcing a 2 GiB body is waited for (or rejected), not allocated. Measured with
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> around the decoding alone; the input and its reads are built first.
/// </summary>
public sealed class AllocationProperties
{
    /// <summary>
    /// Framing decoders allocate nothing per message; a rejection costs one exception with its message and stack trace,
    /// well under this.
    /// </summary>
    private const long Slack = 4096;

    /// <summary>
    /// Typed parsing copies what it keeps (UTF-16 strings are twice their UTF-8, tokens and extension values are
    /// arrays) and adds an object or a list slot per field; an empty extension item, 4 bytes on the wire, becomes an
    /// item, an empty array and a list slot. 32 bytes per input byte covers that, and a parser that allocated from a
    /// u16 length claim (up to 64 KiB) before checking it breaks the bound for any input of up to 1 KiB.
    /// </summary>
    private const long TypedBytesPerInputByte = 32;

    [Property(MaxTest = 150)]
    public Property Framing_decoders_allocate_at_most_the_input_length_plus_4_KiB() =>
        Prop.ForAll(FuzzArbitraries.Streams("all"), FuzzArbitraries.Mutations, FuzzArbitraries.Cuts, (stream, mutations, cuts) =>
        {
            var (target, seed) = stream;
            var input = Mutate(target, seed, mutations);
            var whole = new ReadOnlySequence<byte>(input);
            var pieces = Reads.Of(Reads.Cut(input, cuts)).Sequence;

            var allocated = LeastAllocated(() =>
            {
                target.Skim(whole);
                target.Skim(pieces);
            });

            return (allocated <= input.Length + Slack).Label($"{target.Name}: {allocated} bytes allocated decoding {input.Length} bytes twice");
        });

    [Property(MaxTest = 150)]
    public Property Typed_parsers_allocate_in_proportion_to_the_input_not_to_its_length_fields() =>
        Prop.ForAll(FuzzArbitraries.Streams("tether"), FuzzArbitraries.Mutations, (stream, mutations) =>
        {
            var (target, seed) = stream;
            var sample = target.Generate(new Random(seed), FuzzArbitraries.MaxSize);
            var frames = target.Variants(sample, mutations).Append(Mutator.Apply(sample.Stream, sample.LengthFields, mutations)).ToList();
            var inputs = frames.Select(frame => new ReadOnlySequence<byte>(frame)).ToArray();
            var length = frames.Sum(frame => frame.Length);

            var allocated = LeastAllocated(() =>
            {
                foreach (var input in inputs)
                {
                    ParseAll(input);
                }
            });

            return (allocated <= (TypedBytesPerInputByte * length) + Slack).Label($"{allocated} bytes allocated parsing {length} bytes");
        });

    private static byte[] Mutate(FuzzTarget target, int seed, Mutation[] mutations)
    {
        var sample = target.Generate(new Random(seed), FuzzArbitraries.MaxSize);
        return Mutator.Apply(sample.Stream, sample.LengthFields, mutations);
    }

    private static void ParseAll(ReadOnlySequence<byte> input)
    {
        try
        {
            while (TetherFrame.TryRead(ref input, int.MaxValue - ProtocolConstants.HeaderSize, out var frame))
            {
                TetherTarget.ParseTyped(frame);
            }
        }
        catch (TetherProtocolException)
        {
            // A rejection ends the input, as it ends a connection.
        }
    }

    /// <summary>
    /// The least of three measurements after a warm-up: the first call compiles, and the runtime may allocate once on
    /// this thread while it recompiles a hot method; what the decoding itself allocates shows in all three.
    /// </summary>
    private static long LeastAllocated(Action decode)
    {
        decode();
        var least = long.MaxValue;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            decode();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
