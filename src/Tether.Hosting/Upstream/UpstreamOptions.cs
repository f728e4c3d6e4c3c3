namespace Tether.Hosting.Upstream;

/// <summary>
/// Where and how <see cref="UpstreamHandler"/> delivers what clients send (configuration section
/// <c>Tether:Upstream</c>). The defaults suit a back end on the same network; each limit is a setting.
/// </summary>
public sealed class UpstreamOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Tether:Upstream";

    /// <summary>The HTTP(S) endpoint the event batches are POSTed to. Required.</summary>
    public string? Url { get; set; }

    /// <summary>When set, every request carries <c>Authorization: Bearer</c> this value.</summary>
    public string? BearerToken { get; set; }

    /// <summary>Extra request headers, e.g. a gateway's API key header.</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Most events in one batch. Default 256.</summary>
    public int MaxBatchEvents { get; set; } = 256;

    /// <summary>Most JSON bytes of events in one batch (a single larger event still goes, alone). Default 1 MiB.</summary>
    public int MaxBatchBytes { get; set; } = 1024 * 1024;

    /// <summary>How long the first event of a batch waits for more before the batch leaves. Default 5 ms; zero: at once.</summary>
    public TimeSpan MaxBatchDelay { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>How long one POST may take before it counts as failed and is retried. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The backoff before the first retry; it doubles per failure, with full jitter. Default 100 ms.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The cap of the exponential backoff. Default 5 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest <c>Retry-After</c> of the endpoint that is honoured as given (longer ones are cut to this). Default 60 s.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Undelivered event bytes one connection may have queued; past it the server stops reading from that client until
    /// some are delivered (TCP back-pressure). Default 256 KiB.
    /// </summary>
    public long MaxPendingBytesPerClient { get; set; } = 256 * 1024;

    /// <summary>Undelivered event bytes of all connections together; past it every sending client waits. Default 64 MiB.</summary>
    public long MaxPendingBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>At shutdown, how long queued events may take to be delivered before the rest is given up (and counted). Default 10 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws <see cref="ArgumentException"/> naming every bad setting.</summary>
    public void Validate()
    {
        var problems = Problems().ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems));
        }
    }

    /// <summary>One line per bad setting, named by its configuration key.</summary>
    internal IEnumerable<string> Problems()
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            yield return $"{SectionName}:Url must be an absolute http:// or https:// URL (got '{Url}')";
        }

        if (MaxBatchEvents <= 0)
        {
            yield return $"{SectionName}:MaxBatchEvents must be positive";
        }

        if (MaxBatchBytes <= 0)
        {
            yield return $"{SectionName}:MaxBatchBytes must be positive";
        }

        if (MaxBatchDelay < TimeSpan.Zero || MaxBatchDelay > TimeSpan.FromSeconds(10))
        {
            yield return $"{SectionName}:MaxBatchDelay must be between 0 and 10 s";
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            yield return $"{SectionName}:RequestTimeout must be positive";
        }

        if (InitialRetryDelay <= TimeSpan.Zero || MaxRetryDelay < InitialRetryDelay)
        {
            yield return $"{SectionName}:InitialRetryDelay must be positive and at most MaxRetryDelay";
        }

        if (MaxRetryAfter < TimeSpan.Zero)
        {
            yield return $"{SectionName}:MaxRetryAfter must not be negative";
        }

        if (MaxPendingBytesPerClient <= 0 || MaxPendingBytes < MaxPendingBytesPerClient)
        {
            yield return $"{SectionName}:MaxPendingBytesPerClient must be positive and at most MaxPendingBytes";
        }

        if (ShutdownTimeout < TimeSpan.Zero)
        {
            yield return $"{SectionName}:ShutdownTimeout must not be negative";
        }
    }
}
