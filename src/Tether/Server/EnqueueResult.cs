namespace Tether.Server;

/// <summary>What happened to a frame offered to a connection's outbound queue.</summary>
internal enum EnqueueResult
{
    /// <summary>Queued for sending.</summary>
    Queued,

    /// <summary>The queue is over its byte limit.</summary>
    Full,

    /// <summary>The connection is not open.</summary>
    Closed,
}
