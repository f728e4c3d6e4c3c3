namespace Tether.Protocol;

/// <summary>
/// The peer broke the protocol. <see cref="Code"/> is what the receiver sends in its CLOSE frame before closing.
/// </summary>
public sealed class TetherProtocolException : Exception
{
    /// <summary>Creates an exception with a close code and a one-line message.</summary>
    public TetherProtocolException(CloseCode code, string message)
        : base(message) => Code = code;

    /// <summary>Creates a protocol error.</summary>
    public TetherProtocolException()
        : this(CloseCode.ProtocolError, "protocol error")
    {
    }

    /// <summary>Creates a protocol error with a message.</summary>
    public TetherProtocolException(string message)
        : this(CloseCode.ProtocolError, message)
    {
    }

    /// <summary>Creates a protocol error with a message and the exception behind it.</summary>
    public TetherProtocolException(string message, Exception innerException)
        : base(message, innerException) => Code = CloseCode.ProtocolError;

    /// <summary>The close code that names the violation.</summary>
    public CloseCode Code { get; }
}
