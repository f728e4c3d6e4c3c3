namespace Tether.Fuzz.Engine;

/// <summary>Draws the mutations and the read cuts of one fuzz case from a seeded <see cref="Random"/>.</summary>
internal static class RandomCase
{
    private static readonly MutationKind[] Kinds = Enum.GetValues<MutationKind>();

    /// <summary>None about one case in eight, so valid streams are checked whole too; else one to four.</summary>
    public static Mutation[] Mutations(Random random) =>
        [.. Enumerable.Range(0, random.Next(8) == 0 ? 0 : random.Next(1, 5)).Select(_ => Mutation(random))];

    /// <summary>A few random cuts, or now and then a cut after every byte.</summary>
    public static int[] Cuts(Random random, int streamLength) => random.Next(10) == 0
        ? [.. Enumerable.Range(1, Math.Max(0, streamLength - 1))]
        : [.. Enumerable.Range(0, random.Next(9)).Select(_ => random.Next())];

    private static Mutation Mutation(Random random) => new(
        Kinds[random.Next(Kinds.Length)],
        random.Next(),
        random.Next(8) == 0 ? random.Next() : random.Next(4),
        RandomValues.Byte(random));
}
