namespace Tether.Client;

/// <summary>What happened to a message offered to a client connection.</summary>
internal enum SendResult
{
    /// <summary>Queued for sending.</summary>
    Queued,

    /// <summary>The outbound queue is over its limit.</summary>
    Full,

    /// <summary>The connection is closed.</summary>
    Closed,
}
