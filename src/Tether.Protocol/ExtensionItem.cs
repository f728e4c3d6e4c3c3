namespace Tether.Protocol;

/// <summary>
/// One TLV extension item (u16 key, u16 length, value) at the end of HELLO, WELCOME, GOAWAY or CLOSE. Receivers ignore
/// keys they do not know.
/// </summary>
public readonly record struct ExtensionItem(ushort Key, ReadOnlyMemory<byte> Value)
{
    /// <summary>Encoded size of this item.</summary>
    public int EncodedLength => 4 + Value.Length;
}
