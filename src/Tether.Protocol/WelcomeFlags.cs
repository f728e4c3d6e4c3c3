namespace Tether.Protocol;

/// <summary>Flags of a <see cref="FrameType.Welcome"/> frame.</summary>
[Flags]
public enum WelcomeFlags : byte
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>A reliable session is active on this connection.</summary>
    Session = 0x01,

    /// <summary>The session the client asked for was resumed.</summary>
    Resumed = 0x02,
}
