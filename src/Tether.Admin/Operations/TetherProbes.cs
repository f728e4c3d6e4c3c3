using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Tether.Server;

namespace Tether.Admin;

/// <summary>
/// Answers the liveness and readiness probes of one server: live while it can serve its connections, ready while it
/// is live, not draining and, with scale-out, connected to Redis. Health checks registered with ASP.NET Core and
/// tagged <c>live</c> or <c>ready</c> are added to the matching probe, so other parts can name their own dependencies.
/// Logs when an answer changes, and counts failing answers.
/// </summary>
internal sealed class TetherProbes(TetherServer server, HealthCheckService? healthChecks, OperationsLog log, Counter<long> failures)
{
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    private int _lastReady = -1;
    private int _lastLive = -1;

    public async Task<ProbeReport> LiveAsync(CancellationToken cancellationToken)
    {
        List<ProbeCheck> checks = [ServerCheck()];
        await AddRegisteredAsync(checks, LiveTag, cancellationToken).ConfigureAwait(false);
        var report = new ProbeReport(checks.TrueForAll(c => c.Ok) ? "live" : "not live", checks);
        if (Changed(ref _lastLive, report.Ok) && !report.Ok)
        {
            log.TurnedNotLive(Reasons(report));
        }

        Count(report, LiveTag);
        return report;
    }

    public async Task<ProbeReport> ReadyAsync(CancellationToken cancellationToken)
    {
        List<ProbeCheck> checks = [ServerCheck(), DrainCheck()];
        if (server.IsScaleOutConnected is { } connected)
        {
            checks.Add(new ProbeCheck("scale-out", connected, connected ? "Redis connected" : "Redis not connected: cluster-wide pushes, sessions and presence are unavailable"));
        }

        await AddRegisteredAsync(checks, ReadyTag, cancellationToken).ConfigureAwait(false);
        var report = new ProbeReport(checks.TrueForAll(c => c.Ok) ? "ready" : "not ready", checks);
        if (Changed(ref _lastReady, report.Ok))
        {
            if (report.Ok)
            {
                log.TurnedReady();
            }
            else
            {
                log.TurnedNotReady(Reasons(report));
            }
        }

        Count(report, ReadyTag);
        return report;
    }

    private ProbeCheck ServerCheck()
    {
        if (server.IsServing)
        {
            return new ProbeCheck("server", true, $"serving {server.Connections.Count} connections");
        }

        var why = server.IsDraining ? "the server has stopped"
            : server.LocalEndPoints.Count == 0 ? "the server is not started"
            : "the server stopped accepting connections";
        return new ProbeCheck("server", false, why);
    }

    private ProbeCheck DrainCheck() => server.IsDraining
        ? new ProbeCheck("drain", false, "draining: the server is stopping and sends its clients away")
        : new ProbeCheck("drain", true, "not draining");

    private async Task AddRegisteredAsync(List<ProbeCheck> checks, string tag, CancellationToken cancellationToken)
    {
        if (healthChecks is null)
        {
            return;
        }

        var report = await healthChecks.CheckHealthAsync(registration => registration.Tags.Contains(tag), cancellationToken).ConfigureAwait(false);
        foreach (var (name, entry) in report.Entries)
        {
            var ok = entry.Status != HealthStatus.Unhealthy;
            checks.Add(new ProbeCheck(name, ok, entry.Description ?? entry.Exception?.Message ?? entry.Status.ToString()));
        }
    }

    private void Count(ProbeReport report, string probe)
    {
        if (!report.Ok)
        {
            failures.Add(1, new KeyValuePair<string, object?>("probe", probe));
        }
    }

    /// <summary>True when <paramref name="ok"/> differs from the last answer (the first answer counts as a change only when failing).</summary>
    private static bool Changed(ref int last, bool ok)
    {
        var now = ok ? 1 : 0;
        var before = Interlocked.Exchange(ref last, now);
        return before != now && (before != -1 || !ok);
    }

    private static string Reasons(ProbeReport report) =>
        string.Join("; ", report.Checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Detail}"));
}
