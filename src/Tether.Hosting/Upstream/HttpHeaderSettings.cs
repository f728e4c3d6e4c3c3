using System.Net.Http.Headers;

namespace Tether.Hosting.Upstream;

/// <summary>The headers both back-end calls (upstream delivery, connect authorisation) add to each request.</summary>
internal static class HttpHeaderSettings
{
    public static void Apply(HttpRequestMessage request, string? bearerToken, IReadOnlyDictionary<string, string> headers)
    {
        if (!string.IsNullOrEmpty(bearerToken))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }

    /// <summary>A client for one back end: no redirects (a POST must not turn into a GET elsewhere), pooled connections renewed now and then (DNS changes).</summary>
    public static HttpClient CreateClient(TimeSpan connectTimeout) =>
        new(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = connectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
}
