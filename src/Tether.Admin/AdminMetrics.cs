using System.Diagnostics.Metrics;

namespace Tether.Admin;

/// <summary>The admin listener's instruments, on the meter <see cref="MeterName"/>.</summary>
internal sealed class AdminMetrics
{
    /// <summary>The meter of the admin API's instruments.</summary>
    public const string MeterName = "Tether.Admin";

    private readonly Counter<long> _requests;

    public AdminMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("tether.admin.requests", "{request}", "Admin API requests answered, by route and status code");
    }

    public void Answered(string route, int status) =>
        _requests.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("status", status));
}
