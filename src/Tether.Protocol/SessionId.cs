using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

namespace Tether.Protocol;

/// <summary>A 16-byte session identifier, written on the wire as 16 raw bytes. All zero means "no session".</summary>
public readonly record struct SessionId(ulong High, ulong Low)
{
    /// <summary>The empty id (no session).</summary>
    public static SessionId None => default;

    /// <summary>True when this is the empty id.</summary>
    public bool IsNone => High == 0 && Low == 0;

    /// <summary>A new random id from a cryptographic source, so ids cannot be guessed to hijack a session.</summary>
    public static SessionId NewRandom()
    {
        Span<byte> bytes = stackalloc byte[ProtocolConstants.SessionIdSize];
        do
        {
            RandomNumberGenerator.Fill(bytes);
        }
        while (bytes.IndexOfAnyExcept((byte)0) < 0);
        return Read(bytes);
    }

    /// <summary>Reads 16 bytes in wire order.</summary>
    public static SessionId Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt64BigEndian(source[8..]));

    /// <summary>Writes 16 bytes in wire order.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
    }

    /// <summary>Parses 32 hexadecimal digits.</summary>
    public static SessionId Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (hex.Length != 32)
        {
            throw new FormatException("a session id is 32 hexadecimal digits");
        }

        return new(
            ulong.Parse(hex.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture),
            ulong.Parse(hex.AsSpan(16, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
    }

    /// <summary>32 lowercase hexadecimal digits.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{High:x16}{Low:x16}");
}
