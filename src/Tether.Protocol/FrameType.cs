namespace Tether.Protocol;

/// <summary>The type byte of a Tether frame (offset 0 of the header).</summary>
public enum FrameType : byte
{
    /// <summary>Client to server, the first frame of a connection.</summary>
    Hello = 0x01,

    /// <summary>Server to client, the answer to <see cref="Hello"/>.</summary>
    Welcome = 0x02,

    /// <summary>An application message, optionally with a sequence number and a piggy-backed acknowledgement.</summary>
    Data = 0x03,

    /// <summary>A cumulative acknowledgement of session data.</summary>
    Ack = 0x04,

    /// <summary>A liveness probe; the peer answers with <see cref="Pong"/>.</summary>
    Ping = 0x05,

    /// <summary>The answer to <see cref="Ping"/>, echoing its value.</summary>
    Pong = 0x06,

    /// <summary>Server to client: the server is shutting down; reconnect after the hinted delay.</summary>
    GoAway = 0x07,

    /// <summary>The last frame a side sends, carrying a close code.</summary>
    Close = 0x08,
}
