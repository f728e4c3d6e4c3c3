using FsCheck;
using FsCheck.Fluent;
using Tether.Fuzz.Engine;

namespace Tether.Protocol.Tests.Fuzzing;

/// <summary>
/// FsCheck inputs for the fuzz engine: the seed of a valid stream, and the mutations and read cuts as data, so that a
/// failure shrinks to the fewest mutations and reads that still show it.
/// </summary>
internal static class FuzzArbitraries
{
    /// <summary>Small streams keep a property to a few seconds; the fuzzer (tools/Tether.Fuzz) covers larger ones.</summary>
    public const int MaxSize = 512;

    private static readonly Gen<Mutation> AnyMutation =
        from kind in Gen.Elements(Enum.GetValues<MutationKind>())
        from position in Gen.Choose(0, int.MaxValue)
        from length in Gen.Frequency((3, Gen.Choose(0, 3)), (1, Gen.Choose(0, int.MaxValue)))
        from value in Gen.Choose(0, 255)
        select new Mutation(kind, position, length, value);

    /// <summary>Up to four mutations; none now and then, so valid streams are checked whole too.</summary>
    public static Arbitrary<Mutation[]> Mutations { get; } = Arb.From(
        Gen.Choose(0, 4).SelectMany(count => Gen.ArrayOf(AnyMutation, count)),
        ShrinkByRemoval);

    public static Arbitrary<int[]> Cuts { get; } = Arb.From(Gen.ArrayOf(Gen.Choose(0, int.MaxValue)), ShrinkByRemoval);

    /// <summary>A target of one family (tether, lines, length-prefixed, raw, or all) and the seed of its valid stream.</summary>
    public static Arbitrary<(FuzzTarget Target, int Seed)> Streams(string family) => Arb.From(
        from target in Gen.Elements(FuzzCatalog.Select(family).ToArray())
        from seed in Gen.Choose(0, int.MaxValue)
        select (target, seed));

    private static IEnumerable<T[]> ShrinkByRemoval<T>(T[] items)
    {
        for (var i = 0; i < items.Length; i++)
        {
            yield return [.. items[..i], .. items[(i + 1)..]];
        }
    }
}
