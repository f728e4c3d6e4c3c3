using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Tether.Diagnostics;

namespace Tether.Admin;

/// <summary>Registers OpenTelemetry metrics for Tether's meters, with a Prometheus exporter and optional OTLP export.</summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary>
    /// Every meter Tether records on: the servers' and clients' (their <c>tether.cluster.*</c> instruments included),
    /// and any other <c>Tether.*</c> meter of the hosting and admin parts.
    /// </summary>
    internal static readonly string[] MeterNames = [TetherMeterNames.Server, TetherMeterNames.Client, "Tether.*"];

    /// <summary>
    /// Collects Tether's metrics with OpenTelemetry: a Prometheus exporter for
    /// <see cref="MetricsEndpointRouteBuilderExtensions.MapTetherMetrics"/>, and OTLP export when
    /// <see cref="TetherTelemetryOptions.OtlpEndpoint"/> is set. Settings are read from the
    /// <c>Tether:Telemetry</c> section of <paramref name="configuration"/> (when given), then
    /// <paramref name="configure"/> runs; a bad setting throws <see cref="ArgumentException"/> with a one-line message.
    /// Call it before the server is created or started: the connection gauge counts from when the collection began.
    /// </summary>
    public static IServiceCollection AddTetherTelemetry(this IServiceCollection services, IConfiguration? configuration = null, Action<TetherTelemetryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new TetherTelemetryOptions();
        configuration?.GetSection(TetherTelemetryOptions.SectionName).Bind(options);
        configure?.Invoke(options);
        options.Validate();

        services.AddSingleton(new TelemetryRegistration(options));
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(options.ServiceName, serviceVersion: typeof(TetherTelemetryOptions).Assembly.GetName().Version?.ToString()))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(MeterNames);
                metrics.AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = (int)options.ScrapeCacheDuration.TotalMilliseconds);
                if (options.OtlpEndpoint is not null)
                {
                    metrics.AddOtlpExporter((exporter, reader) => ConfigureOtlp(options, exporter, reader));
                }
            });
        return services;
    }

    private static void ConfigureOtlp(TetherTelemetryOptions options, OtlpExporterOptions exporter, MetricReaderOptions reader)
    {
        exporter.Endpoint = options.ExporterEndpoint()!;
        exporter.Protocol = options.OtlpOverHttp ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        exporter.TimeoutMilliseconds = (int)options.OtlpTimeout.TotalMilliseconds;
        if (!string.IsNullOrEmpty(options.OtlpHeaders))
        {
            exporter.Headers = options.OtlpHeaders;
        }

        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.OtlpExportInterval.TotalMilliseconds;
        reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative;
    }
}

/// <summary>Marks that <see cref="TelemetryServiceCollectionExtensions.AddTetherTelemetry"/> ran, with the settings it used.</summary>
internal sealed record TelemetryRegistration(TetherTelemetryOptions Options);
