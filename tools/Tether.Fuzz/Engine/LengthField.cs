namespace Tether.Fuzz.Engine;

/// <summary>
/// Where an encoded stream holds a big-endian length, so a mutation can set it to the values decoders get wrong: 0, the
/// limit, one past it, and the largest the field can hold.
/// </summary>
/// <param name="Offset">The field's first byte in the stream.</param>
/// <param name="Width">2 or 4 bytes.</param>
/// <param name="Limit">The largest length the decoder accepts in this field.</param>
internal readonly record struct LengthField(int Offset, int Width, long Limit);
