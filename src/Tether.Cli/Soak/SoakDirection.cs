namespace Tether.Cli.Soak;

/// <summary>Which way a soak message travels; the value is its first byte on the wire.</summary>
internal enum SoakDirection : byte
{
    /// <summary>Client to server.</summary>
    Up = (byte)'U',

    /// <summary>Server to client.</summary>
    Down = (byte)'D',
}
