using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Tether.Hosting.Upstream;

/// <summary>
/// The delivery loop: takes one batch at a time from the <see cref="UpstreamQueue"/> and POSTs it until the endpoint
/// answers 2xx (or refuses it for good), then the next. One batch in flight at a time is what keeps every client's
/// events in order; the batch fills while the previous one is on the wire, so a fast endpoint still gets large batches.
/// </summary>
internal sealed class UpstreamDelivery : IDisposable
{
    private const string JsonMediaType = "application/json";

    private readonly UpstreamOptions _options;
    private readonly Uri _url;
    private readonly UpstreamQueue _queue;
    private readonly HttpClient _http;
    private readonly UpstreamMetrics _metrics;
    private readonly UpstreamLog _log;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _abort = new();
    private readonly string _batchPrefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
    private readonly Task _loop;
    private long _batches;
    private int _abandoned;

    public UpstreamDelivery(UpstreamOptions options, UpstreamQueue queue, HttpClient http, UpstreamMetrics metrics, UpstreamLog log, TimeProvider time)
    {
        _options = options;
        _url = new Uri(options.Url!, UriKind.Absolute);
        _queue = queue;
        _http = http;
        _metrics = metrics;
        _log = log;
        _time = time;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>
    /// Delivers what is queued, until the queue is empty or <paramref name="timeout"/> (or <paramref name="cancellationToken"/>)
    /// ends it; returns how many events were given up.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        _queue.Complete();
        try
        {
            await _loop.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
        }

        return _abandoned;
    }

    public void Dispose() => _abort.Dispose();

    private async Task RunAsync()
    {
        var batch = new List<UpstreamEvent>();
        try
        {
            while (await _queue.WaitForEventsAsync(_abort.Token).ConfigureAwait(false))
            {
                if (_options.MaxBatchDelay > TimeSpan.Zero && !_queue.HasFullBatch(_options.MaxBatchEvents, _options.MaxBatchBytes))
                {
                    await Task.Delay(_options.MaxBatchDelay, _time, _abort.Token).ConfigureAwait(false);
                }

                _queue.TakeBatch(batch, _options.MaxBatchEvents, _options.MaxBatchBytes);
                if (batch.Count == 0)
                {
                    continue;
                }

                await DeliverAsync(batch, _abort.Token).ConfigureAwait(false);
                _queue.Delivered(batch);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // The shutdown deadline: the batch in flight and the queue are given up (and counted).
            _queue.Delivered(batch);
            _abandoned = batch.Count + _queue.Abandon();
            _metrics.EventsDropped.Add(_abandoned, new KeyValuePair<string, object?>("reason", "shutdown"));
        }
    }

    private async Task DeliverAsync(List<UpstreamEvent> batch, CancellationToken cancellationToken)
    {
        var body = UpstreamEventWriter.Batch($"{_batchPrefix}-{++_batches}", batch);
        for (var attempt = 1; ; attempt++)
        {
            if (attempt > 1)
            {
                _metrics.Retries.Add(1);
            }

            var started = _time.GetTimestamp();
            var result = await AttemptAsync(body, cancellationToken).ConfigureAwait(false);
            _metrics.DeliveryDuration.Record(_time.GetElapsedTime(started).TotalMilliseconds);
            switch (result.Outcome)
            {
                case DeliveryOutcome.Delivered:
                    _metrics.BatchesSent.Add(1);
                    if (attempt > 1)
                    {
                        _log.Recovered(batch.Count, attempt);
                    }

                    return;
                case DeliveryOutcome.Rejected:
                    _metrics.BatchesFailed.Add(1, new KeyValuePair<string, object?>("reason", result.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                    _metrics.EventsDropped.Add(batch.Count, new KeyValuePair<string, object?>("reason", "rejected"));
                    _log.Rejected(batch.Count, result.Status, result.Reason);
                    return;
                default:
                    _metrics.BatchesFailed.Add(1, new KeyValuePair<string, object?>("reason", result.Status > 0 ? result.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) : result.Reason.StartsWith("timeout", StringComparison.Ordinal) ? "timeout" : "network"));
                    var delay = RetryBackoff.Delay(attempt, result.RetryAfter, _options, Random.Shared.NextDouble());
                    _log.AttemptFailed(batch.Count, attempt, result.Reason, delay);
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    private async Task<DeliveryAttempt> AttemptAsync(byte[] body, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(JsonMediaType);
        HttpHeaderSettings.Apply(request, _options.BearerToken, _options.Headers);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var result = DeliveryAttempt.FromStatus(response, _time.GetUtcNow());
            if (result.Outcome == DeliveryOutcome.Rejected)
            {
                // The back end's explanation goes into the error line: a short one, whatever it sent.
                var text = await response.Content.ReadAsStringAsync(linked.Token).ConfigureAwait(false);
                return result with { Reason = text.Length > 200 ? text[..200] : text };
            }

            return result;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new(DeliveryOutcome.Retry, $"timeout after {_options.RequestTimeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException ex)
        {
            return new(DeliveryOutcome.Retry, ex.GetBaseException().Message);
        }
#pragma warning disable CA1031 // Whatever went wrong, the loop must go on (and retry): a dead loop would pause every client for good.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            return new(DeliveryOutcome.Retry, ex.GetBaseException().Message);
        }
    }
}
