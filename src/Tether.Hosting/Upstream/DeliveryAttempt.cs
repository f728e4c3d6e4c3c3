using System.Net;

namespace Tether.Hosting.Upstream;

/// <summary>What became of one POST of a batch, by the response contract (docs/operations.md).</summary>
internal readonly record struct DeliveryAttempt(DeliveryOutcome Outcome, string Reason, TimeSpan? RetryAfter = null, int Status = 0)
{
    public static DeliveryAttempt Delivered { get; } = new(DeliveryOutcome.Delivered, "delivered");

    /// <summary>
    /// 2xx: delivered. 408, 429 and 5xx: the endpoint cannot take it now, retry (after its <c>Retry-After</c>, if longer
    /// than the backoff). Anything else (3xx, other 4xx): the endpoint refuses this batch, and sending the same bytes again
    /// would only be refused again while every later event waits behind it.
    /// </summary>
    public static DeliveryAttempt FromStatus(HttpResponseMessage response, DateTimeOffset now)
    {
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return Delivered;
        }

        var reason = $"HTTP {status}";
        if (status is (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests or >= 500)
        {
            var hint = response.Headers.RetryAfter;
            var retryAfter = hint?.Delta ?? (hint?.Date is { } date ? date - now : null);
            return new(DeliveryOutcome.Retry, reason, retryAfter > TimeSpan.Zero ? retryAfter : null, status);
        }

        return new(DeliveryOutcome.Rejected, reason, null, status);
    }
}
