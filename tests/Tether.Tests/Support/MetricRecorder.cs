using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Tether.Tests.Support;

/// <summary>
/// Records the long-valued measurements of one meter (one server's instruments, so tests running in parallel do not
/// see each other's), with the value of one tag of interest.
/// </summary>
internal sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Name, long Value, string? Tag)> _measurements = new();

    public MetricRecorder(Meter meter, string tagKey)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? tag = null;
            foreach (var pair in tags)
            {
                if (pair.Key == tagKey)
                {
                    tag = pair.Value as string;
                }
            }

            _measurements.Enqueue((instrument.Name, value, tag));
        });
        _listener.Start();
    }

    /// <summary>The sum of everything recorded on <paramref name="name"/> with tag value <paramref name="tag"/> (null: without the tag).</summary>
    public long Sum(string name, string? tag = null) => _measurements.Where(m => m.Name == name && m.Tag == tag).Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();
}
