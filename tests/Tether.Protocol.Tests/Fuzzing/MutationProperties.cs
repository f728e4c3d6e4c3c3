using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tether.Fuzz.Engine;

namespace Tether.Protocol.Tests.Fuzzing;

/// <summary>
/// Mutation fuzzing of every decoder through the engine behind the fuzzer (tools/Tether.Fuzz): a valid stream of random messages,
/// damaged by bit flips, overwrites, inserts, deletes, truncation, duplicated ranges and extreme length fields, read
/// whole and in random pieces, decodes exactly as the decoder's model says (the mutated bytes where a frame stayed
/// valid, the documented protocol error where it did not) and the same either way, with nothing else thrown and the
/// reading contract kept; what was written before the first mutated byte decodes as written.
/// </summary>
public sealed class MutationProperties
{
    [Property(MaxTest = 200)]
    public Property Mutated_tether_streams_decode_as_the_model_says_or_stop_with_a_close_code() => HoldsFor("tether");

    [Property(MaxTest = 150)]
    public Property Mutated_line_streams_decode_as_the_model_says_or_stop_with_frame_too_large() => HoldsFor("lines");

    [Property(MaxTest = 200)]
    public Property Mutated_length_prefixed_streams_decode_as_the_model_says_or_stop_with_frame_too_large() => HoldsFor("length-prefixed");

    [Property(MaxTest = 100)]
    public Property Mutated_raw_streams_come_through_byte_for_byte() => HoldsFor("raw");

    [Property(MaxTest = 200)]
    public Property Typed_parsers_on_mutated_bodies_parse_or_throw_a_protocol_error() =>
        Prop.ForAll(FuzzArbitraries.Streams("tether"), FuzzArbitraries.Mutations, (stream, mutations) =>
        {
            var (target, seed) = stream;
            var sample = target.Generate(new Random(seed), FuzzArbitraries.MaxSize);
            var variants = target.Variants(sample, mutations).ToList();
            var outcomes = variants.Select(variant => (Variant: variant, Outcome: Parse(variant))).ToList();

            // Parsed or rejected with TetherProtocolException are both fine; anything else escaping is the bug.
            var failure = outcomes.FirstOrDefault(o => o.Outcome is not ("parsed" or "rejected"));
            return (failure.Variant is null
                    && variants.All(variant => FuzzChecker.Check(target, variant, [], null) is null))
                .Classify(variants.Count == 0, "no typed frame or no mutation")
                .Classify(outcomes.Any(o => o.Outcome == "parsed"), "a mutated body parsed")
                .Classify(outcomes.Any(o => o.Outcome == "rejected"), "a mutated body was rejected")
                .Label(failure.Variant is null ? $"seed {seed}" : $"{failure.Outcome} on {Convert.ToHexString(failure.Variant)}");
        });

    private static Property HoldsFor(string family) =>
        Prop.ForAll(FuzzArbitraries.Streams(family), FuzzArbitraries.Mutations, FuzzArbitraries.Cuts, (stream, mutations, cuts) =>
        {
            var (target, seed) = stream;
            var sample = target.Generate(new Random(seed), FuzzArbitraries.MaxSize);
            var failure = FuzzChecker.Check(target, sample, mutations, cuts);
            var input = Mutator.Apply(sample.Stream, sample.LengthFields, mutations);
            return (failure is null)
                .Classify(mutations.Length == 0, "unmutated")
                .Classify(target.Model(input).Error is not null, "ends in a protocol error")
                .Label(failure is null
                    ? string.Empty
                    : $"{target.Name}, seed {seed}, [{string.Join(", ", mutations)}]: {failure.Reason}; input {Convert.ToHexString(failure.Input)}");
        });

    private static string Parse(byte[] variant)
    {
        var input = new ReadOnlySequence<byte>(variant);
        try
        {
            if (!TetherFrame.TryRead(ref input, int.MaxValue - ProtocolConstants.HeaderSize, out var frame))
            {
                return "the variant is not one whole frame";
            }

            TetherTarget.ParseTyped(frame);
            return "parsed";
        }
        catch (TetherProtocolException)
        {
            return "rejected";
        }
        catch (Exception other)
        {
            return $"threw {other.GetType().Name}: {other.Message}";
        }
    }
}
