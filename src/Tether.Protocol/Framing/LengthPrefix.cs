namespace Tether.Framing;

// The members are named after the wire types of the prefix (u16, u32) on purpose: that is what they describe.
#pragma warning disable CA1720 // Identifier contains type name

/// <summary>The size of the big-endian unsigned length that <see cref="LengthPrefixedFraming"/> puts before each message.</summary>
public enum LengthPrefix
{
    /// <summary>A 2-byte length: messages of up to 65535 bytes.</summary>
    UInt16 = 2,

    /// <summary>A 4-byte length.</summary>
    UInt32 = 4,
}

#pragma warning restore CA1720
