namespace Tether.Fuzz.Engine;

/// <summary>
/// One change to a stream. The numbers may be anything: <see cref="Mutator"/> takes them modulo what fits the stream, so
/// random and shrunk values always describe a valid change.
/// </summary>
/// <param name="Kind">What to do.</param>
/// <param name="Position">Where (a byte offset, or which length field).</param>
/// <param name="Length">How many bytes to insert, delete or duplicate.</param>
/// <param name="Value">The byte to write or insert, the bit to flip, or which extreme length to set.</param>
internal readonly record struct Mutation(MutationKind Kind, int Position, int Length, int Value)
{
    public override string ToString() => $"{Kind}({Position},{Length},{Value})";
}
