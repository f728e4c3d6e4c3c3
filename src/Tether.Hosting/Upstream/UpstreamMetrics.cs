using System.Diagnostics.Metrics;

namespace Tether.Hosting.Upstream;

/// <summary>The instruments of upstream delivery, on the meter <see cref="MeterName"/>.</summary>
internal sealed class UpstreamMetrics : IDisposable
{
    public const string MeterName = "Tether.Upstream";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    public UpstreamMetrics(IMeterFactory? meterFactory, UpstreamQueue queue)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableGauge("tether.upstream.queued.bytes", () => queue.QueuedBytes, "By", "Event bytes waiting for delivery (queued or in flight).");
        _meter.CreateObservableGauge("tether.upstream.queued.events", () => queue.QueuedEvents, "{event}", "Events queued and not yet taken into a batch.");
        _meter.CreateObservableGauge("tether.upstream.clients.paused", () => queue.PausedClients, "{connection}", "Clients not read from now, because their or the total budget of undelivered bytes is used.");
        EventsQueued = _meter.CreateCounter<long>("tether.upstream.events.queued", "{event}", "Events queued for delivery, tagged with type.");
        BatchesSent = _meter.CreateCounter<long>("tether.upstream.batches.sent", "{batch}", "Batches the endpoint accepted (2xx).");
        BatchesFailed = _meter.CreateCounter<long>("tether.upstream.batches.failed", "{batch}", "Delivery attempts that failed, tagged with reason (status code, timeout, network).");
        Retries = _meter.CreateCounter<long>("tether.upstream.retries", "{batch}", "Batches sent again after a failed attempt.");
        EventsDropped = _meter.CreateCounter<long>("tether.upstream.events.dropped", "{event}", "Events given up, tagged with reason (rejected: a 4xx answer; shutdown: the flush deadline passed).");
        ClientsPausedTotal = _meter.CreateCounter<long>("tether.upstream.pauses", "{pause}", "Times a client was paused for back-pressure.");
        DeliveryDuration = _meter.CreateHistogram<double>("tether.upstream.request.duration", "ms", "Time of each delivery attempt.");
    }

    public Counter<long> EventsQueued { get; }

    public Counter<long> BatchesSent { get; }

    public Counter<long> BatchesFailed { get; }

    public Counter<long> Retries { get; }

    public Counter<long> EventsDropped { get; }

    public Counter<long> ClientsPausedTotal { get; }

    public Histogram<double> DeliveryDuration { get; }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
