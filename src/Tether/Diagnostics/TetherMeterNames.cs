namespace Tether.Diagnostics;

/// <summary>
/// The names of the <see cref="System.Diagnostics.Metrics.Meter"/>s Tether records on, for a
/// <see cref="System.Diagnostics.Metrics.MeterListener"/> or OpenTelemetry's <c>AddMeter</c>. Every server and every
/// client has a meter of its own with the name of its kind; a listener tells two servers of one process apart by the
/// <see cref="System.Diagnostics.Metrics.Instrument.Meter"/> instance. The instruments are listed in docs/architecture.md
/// ("Observability").
/// </summary>
public static class TetherMeterNames
{
    /// <summary>The meter of each <see cref="Server.TetherServer"/>: <c>Tether.Server</c>.</summary>
    public const string Server = "Tether.Server";

    /// <summary>The meter of each <see cref="Client.TetherClient"/>: <c>Tether.Client</c>.</summary>
    public const string Client = "Tether.Client";
}
