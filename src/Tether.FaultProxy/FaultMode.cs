namespace Tether.FaultProxy;

/// <summary>How a <see cref="TcpFaultProxy"/> treats the traffic flowing in one direction.</summary>
public enum FaultMode
{
    /// <summary>Bytes are forwarded unchanged as soon as they are read.</summary>
    Pass,

    /// <summary>
    /// Nothing is forwarded and nothing is closed: bytes read are discarded, and a FIN or RST from the sender is
    /// held back until the direction leaves this mode. The path is half-open, like a dead network.
    /// </summary>
    BlackHole,

    /// <summary>Each chunk is forwarded a fixed one-way delay after it was read; order is preserved.</summary>
    Delay,

    /// <summary>Bytes are forwarded in separate writes of at most a given number of bytes, to exercise split reads.</summary>
    Slice,

    /// <summary>
    /// Never set, only reported by <see cref="TcpFaultProxy.Mode"/>: the two directions are in different modes.
    /// </summary>
    Mixed,
}
