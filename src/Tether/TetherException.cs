using Tether.Protocol;

namespace Tether;

/// <summary>A Tether operation failed; <see cref="Code"/> carries the close code when one applies.</summary>
public class TetherException : Exception
{
    /// <summary>Creates an exception.</summary>
    public TetherException()
    {
    }

    /// <summary>Creates an exception with a one-line message.</summary>
    public TetherException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    public TetherException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception that carries the close code a peer sent.</summary>
    public TetherException(string message, CloseCode code, Exception? innerException = null)
        : base(message, innerException) => Code = code;

    /// <summary>The close code behind the failure, if any.</summary>
    public CloseCode? Code { get; }

    /// <summary>How long the peer asked to wait before trying again (the <c>retryAfterMs</c> of its CLOSE), if it said.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The endpoints the refusing CLOSE suggested trying next, in order (empty when none).</summary>
    internal IReadOnlyList<System.Net.EndPoint> AlternateEndPoints { get; init; } = [];
}
