namespace Tether.Fuzz.Engine;

/// <summary>The ways <see cref="Mutator"/> damages a valid stream.</summary>
internal enum MutationKind
{
    FlipBit,
    OverwriteByte,
    Insert,
    Delete,
    Truncate,
    DuplicateRange,
    SetLengthField,
}
