namespace Tether.Hosting.Upstream;

/// <summary>The three answers of the upstream response contract.</summary>
internal enum DeliveryOutcome
{
    /// <summary>2xx: the events are the endpoint's.</summary>
    Delivered,

    /// <summary>Timeout, network error, 408, 429, 5xx: send the same batch again after a backoff.</summary>
    Retry,

    /// <summary>Any other answer: the batch is dropped, logged and counted.</summary>
    Rejected,
}
