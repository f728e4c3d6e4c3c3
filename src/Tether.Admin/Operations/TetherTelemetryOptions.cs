namespace Tether.Admin;

/// <summary>
/// How Tether's metrics leave the process (configuration section <c>Tether:Telemetry</c>): always as Prometheus text
/// at <c>/metrics</c> (<see cref="MetricsEndpointRouteBuilderExtensions.MapTetherMetrics"/>), and, when
/// <see cref="OtlpEndpoint"/> is set, pushed over OTLP as well.
/// </summary>
public sealed class TetherTelemetryOptions
{
    /// <summary>The configuration section these options are read from.</summary>
    public const string SectionName = "Tether:Telemetry";

    /// <summary>The <c>service.name</c> the metrics are reported under. Default <c>tether</c>.</summary>
    public string ServiceName { get; set; } = "tether";

    /// <summary>
    /// Where to push metrics over OTLP, e.g. <c>http://collector:4317</c> (gRPC) or <c>http://collector:4318</c>
    /// (HTTP; <c>/v1/metrics</c> is added when no path is given). Unset (the default): no OTLP export.
    /// </summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>The OTLP transport: <c>grpc</c> (the default) or <c>http/protobuf</c>.</summary>
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>Headers sent with every OTLP export, as <c>key=value</c> pairs separated by commas (e.g. an API key). Default none.</summary>
    public string? OtlpHeaders { get; set; }

    /// <summary>How often metrics are pushed over OTLP. Default 15 s.</summary>
    public TimeSpan OtlpExportInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long one OTLP export may take before it is abandoned (the next one tries again). Default 10 s.</summary>
    public TimeSpan OtlpTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a <c>/metrics</c> answer is reused for further scrapes, to bound the work of many scrapers. Default
    /// zero: every scrape reads the instruments afresh.
    /// </summary>
    public TimeSpan ScrapeCacheDuration { get; set; } = TimeSpan.Zero;

    /// <summary>True when <see cref="OtlpProtocol"/> is <c>http/protobuf</c>.</summary>
    internal bool OtlpOverHttp => string.Equals(OtlpProtocol, "http/protobuf", StringComparison.OrdinalIgnoreCase);

    /// <summary>Throws <see cref="ArgumentException"/> with a one-line message naming the first bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ServiceName))
        {
            throw new ArgumentException($"{SectionName}:ServiceName must not be empty");
        }

        if (OtlpEndpoint is { } endpoint && (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps)))
        {
            throw new ArgumentException($"{SectionName}:OtlpEndpoint must be an absolute http or https URL, not '{endpoint}'");
        }

        if (!OtlpOverHttp && !string.Equals(OtlpProtocol, "grpc", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"{SectionName}:OtlpProtocol must be 'grpc' or 'http/protobuf', not '{OtlpProtocol}'");
        }

        if (OtlpExportInterval <= TimeSpan.Zero || OtlpExportInterval.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentException($"{SectionName}:OtlpExportInterval must be positive, not {OtlpExportInterval}");
        }

        if (OtlpTimeout <= TimeSpan.Zero || OtlpTimeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentException($"{SectionName}:OtlpTimeout must be positive, not {OtlpTimeout}");
        }

        if (ScrapeCacheDuration < TimeSpan.Zero || ScrapeCacheDuration.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentException($"{SectionName}:ScrapeCacheDuration must not be negative, not {ScrapeCacheDuration}");
        }

        if (OtlpHeaders is { Length: > 0 } headers && headers.Split(',').Any(pair => pair.IndexOf('=', StringComparison.Ordinal) <= 0))
        {
            throw new ArgumentException($"{SectionName}:OtlpHeaders must be key=value pairs separated by commas");
        }
    }

    /// <summary>The OTLP endpoint as the exporter wants it: over HTTP, the metrics path when none was given.</summary>
    internal Uri? ExporterEndpoint()
    {
        if (OtlpEndpoint is not { } endpoint || !OtlpOverHttp || endpoint.AbsolutePath != "/")
        {
            return OtlpEndpoint;
        }

        return new Uri(endpoint, "v1/metrics");
    }
}
