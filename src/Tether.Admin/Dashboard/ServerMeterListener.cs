using System.Diagnostics.Metrics;
using Tether.Diagnostics;

namespace Tether.Admin.Dashboard;

/// <summary>
/// Listens to the server's instruments (meter <c>Tether.Server</c>) and adds what they report to a
/// <see cref="SecondTally"/>. Only the handful of instruments the dashboard draws are enabled, so the per-batch byte and
/// frame counters stay without a listener.
/// </summary>
internal sealed class ServerMeterListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly SecondTally _tally;

    /// <param name="tally">Where the measurements go.</param>
    /// <param name="meterFilter">Which meters to listen to; by default every meter named <c>Tether.Server</c> in the process.</param>
    public ServerMeterListener(SecondTally tally, Func<Meter, bool>? meterFilter = null)
    {
        _tally = tally;
        var filter = meterFilter ?? (static meter => meter.Name == TetherMeterNames.Server);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (filter(instrument.Meter) && IsDrawn(instrument.Name))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnLong);
        _listener.SetMeasurementEventCallback<double>(OnDouble);
        _listener.Start();
    }

    private static bool IsDrawn(string name) => name is
        "tether.connections.accepted" or "tether.connections.closed" or "tether.heartbeat.timeouts" or
        "tether.heartbeat.rtt" or "tether.session.started" or "tether.session.resumed" or "tether.session.lost" or
        "tether.session.expired";

    private void OnLong(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        switch (instrument.Name)
        {
            case "tether.connections.accepted":
                _tally.AddConnects(value);
                break;
            case "tether.connections.closed":
                _tally.AddDisconnects(TagValue(tags, "reason"), value);
                break;
            case "tether.heartbeat.timeouts":
                _tally.AddHeartbeatTimeouts(value);
                break;
            case "tether.session.started":
                _tally.AddSessionsStarted(value);
                break;
            case "tether.session.resumed":
                _tally.AddSessionsResumed(value);
                break;
            case "tether.session.lost":
                _tally.AddSessionsLost(value);
                break;
            case "tether.session.expired":
                _tally.AddSessionsExpired(value);
                break;
        }
    }

    private void OnDouble(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (instrument.Name == "tether.heartbeat.rtt")
        {
            _tally.AddRtt(value);
        }
    }

    private static string? TagValue(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == key)
            {
                return tag.Value?.ToString();
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public void Dispose() => _listener.Dispose();
}
