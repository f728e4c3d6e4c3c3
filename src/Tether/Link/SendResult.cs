namespace Tether.Link;

/// <summary>What happened to a frame offered to a link.</summary>
internal enum SendResult
{
    /// <summary>Queued for sending.</summary>
    Queued,

    /// <summary>The outbound queue is over its limit.</summary>
    Full,

    /// <summary>The link is closing or closed.</summary>
    Closed,

    /// <summary>The frame is larger than the peer announced it accepts.</summary>
    TooLarge,
}
