using Tether.Server;

namespace Tether.Admin.Dashboard;

/// <summary>Runs <see cref="LiveScan"/> at most once per sampling interval however many pages poll.</summary>
internal sealed class LiveScanCache(TetherServer server, DashboardOptions options, TimeProvider time, DashboardLog log)
{
    private readonly Lock _lock = new();
    private LiveScanResult? _last;
    private long _lastAt;
    private bool _truncationLogged;

    public LiveScanResult Get()
    {
        lock (_lock)
        {
            if (_last is null || time.GetElapsedTime(_lastAt) >= DashboardSampler.Interval)
            {
                _last = LiveScan.Run(server, options.TopClients, options.ScanLimit);
                _lastAt = time.GetTimestamp();
                if (_last.Truncated && !_truncationLogged)
                {
                    _truncationLogged = true;
                    log.ScanTruncated(options.ScanLimit);
                }
            }

            return _last;
        }
    }
}
