namespace Tether.Protocol;

/// <summary>Fixed numbers of protocol v1.</summary>
public static class ProtocolConstants
{
    /// <summary>The protocol version this library speaks.</summary>
    public const byte Version = 1;

    /// <summary>Size of the frame header: type, flags, u32 body length.</summary>
    public const int HeaderSize = 6;

    /// <summary>Largest body either side must accept before the handshake is complete (HELLO, WELCOME).</summary>
    public const int HandshakeMaxBodySize = 8192;

    /// <summary>Smallest maximum frame size a side may announce.</summary>
    public const int MinMaxFrameSize = 1024;

    /// <summary>The maximum frame size this implementation announces unless configured otherwise (1 MiB).</summary>
    public const int DefaultMaxFrameSize = 1024 * 1024;

    /// <summary>Longest client id or server id, in UTF-8 bytes.</summary>
    public const int MaxIdBytes = 256;

    /// <summary>Longest authentication token, in bytes.</summary>
    public const int MaxTokenBytes = 4096;

    /// <summary>Longest reason text this implementation writes, in UTF-8 bytes (longer reasons are truncated).</summary>
    public const int MaxReasonBytes = 1024;

    /// <summary>Size of a session id.</summary>
    public const int SessionIdSize = 16;

    /// <summary>The HELLO magic "TTHR" as a big-endian u32.</summary>
    public const uint Magic = 0x54544852;

    /// <summary>Lowest extension frame type; receivers skip unknown frames from here to <see cref="LastExtensionFrameType"/>.</summary>
    public const byte FirstExtensionFrameType = 0x40;

    /// <summary>Highest extension frame type.</summary>
    public const byte LastExtensionFrameType = 0x7F;

    /// <summary>Extension key: an alternate endpoint ("host:port") a client may try next (GOAWAY, CLOSE).</summary>
    public const ushort AlternateEndpointExtension = 0x0001;

    /// <summary>WELCOME lost count meaning "unknown".</summary>
    public const uint UnknownLostCount = uint.MaxValue;
}
