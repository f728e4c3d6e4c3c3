namespace Tether.Hosting.Auth;

/// <summary>
/// Where and how <see cref="HttpConnectAuthenticator"/> asks the back end about each new connection (configuration
/// section <c>Tether:Auth</c>).
/// </summary>
public sealed class HttpConnectAuthOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Tether:Auth";

    /// <summary>The HTTP(S) endpoint each HELLO's facts are POSTed to. Required.</summary>
    public string? Url { get; set; }

    /// <summary>When set, every request carries <c>Authorization: Bearer</c> this value.</summary>
    public string? BearerToken { get; set; }

    /// <summary>Extra request headers.</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// How long one call may take; past it the connection is refused as if the endpoint were down. Keep it below the
    /// server's handshake timeout. Default 3 s.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long an answer (allow or deny) is reused for the same token and claimed client id. Default 30 s; zero: never.</summary>
    public TimeSpan CacheTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most answers kept; when full, the expired go, and if that is not enough, all of them. Default 10 000.</summary>
    public int MaxCacheEntries { get; set; } = 10_000;

    /// <summary>The retry hint a client refused for an unavailable endpoint gets, before jitter. Default 2 s.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Random spread added per client to <see cref="RetryAfter"/>, so refused clients do not return together. Default 3 s.</summary>
    public TimeSpan RetryAfterJitter { get; set; } = TimeSpan.FromSeconds(3);

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

        if (Timeout <= TimeSpan.Zero)
        {
            yield return $"{SectionName}:Timeout must be positive";
        }

        if (CacheTime < TimeSpan.Zero)
        {
            yield return $"{SectionName}:CacheTime must not be negative";
        }

        if (MaxCacheEntries <= 0)
        {
            yield return $"{SectionName}:MaxCacheEntries must be positive";
        }

        if (RetryAfter < TimeSpan.Zero || RetryAfterJitter < TimeSpan.Zero || RetryAfter + RetryAfterJitter > TimeSpan.FromHours(1))
        {
            yield return $"{SectionName}:RetryAfter and RetryAfterJitter must not be negative, and together at most 1 h";
        }
    }
}
