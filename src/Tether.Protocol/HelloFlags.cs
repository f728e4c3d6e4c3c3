namespace Tether.Protocol;

/// <summary>Flags of a <see cref="FrameType.Hello"/> frame.</summary>
[Flags]
public enum HelloFlags : byte
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>The client asks for a reliable session.</summary>
    Session = 0x01,

    /// <summary>The client asks to resume the session it names (requires <see cref="Session"/>).</summary>
    Resume = 0x02,
}
