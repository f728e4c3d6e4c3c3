using System.Diagnostics.Metrics;

namespace Tether.Hosting.Auth;

/// <summary>The instruments of connect authorisation, on the meter <see cref="MeterName"/>.</summary>
internal sealed class ConnectAuthMetrics : IDisposable
{
    public const string MeterName = "Tether.ConnectAuth";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    public ConnectAuthMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        Decisions = _meter.CreateCounter<long>("tether.auth.decisions", "{connection}", "Connect authorisations, tagged with outcome (allowed, denied, unavailable) and cached (true when no call was made).");
        RequestDuration = _meter.CreateHistogram<double>("tether.auth.request.duration", "ms", "Time of each call to the auth endpoint.");
    }

    public Counter<long> Decisions { get; }

    public Histogram<double> RequestDuration { get; }

    public void Record(string outcome, bool cached) =>
        Decisions.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("cached", cached));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
