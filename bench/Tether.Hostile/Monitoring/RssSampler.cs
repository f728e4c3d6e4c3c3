namespace Tether.Hostile.Monitoring;

/// <summary>Samples the server's RSS once a second from /proc, keeping the baseline, the peak after it, and the last.</summary>
internal sealed class RssSampler : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly int? _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private long _baseline = -1;
    private long _peak = -1;
    private long _last = -1;

    public RssSampler(int? pid)
    {
        _pid = pid;
        _sampling = pid is null ? Task.CompletedTask : SampleAsync(_stop.Token);
    }

    /// <summary>The latest sample, or null.</summary>
    public long? Last => Interlocked.Read(ref _last) is >= 0 and var last ? last : null;

    /// <summary>False once the server process is gone.</summary>
    public bool ServerAlive => _pid is not { } pid || ProcRss.Read(pid) is not null;

    /// <summary>Takes the baseline now; the peak counts from here.</summary>
    public void MarkBaseline()
    {
        var now = Sample() ?? -1;
        Interlocked.Exchange(ref _baseline, now);
        Interlocked.Exchange(ref _peak, now);
    }

    /// <summary>Takes the final sample and returns the figures.</summary>
    public RssFigures Finish(double growth, long floorBytes)
    {
        var final = Sample();
        var baseline = Interlocked.Read(ref _baseline);
        var peak = Interlocked.Read(ref _peak);
        return new RssFigures(baseline >= 0 ? baseline : null, peak >= 0 ? peak : null, final, growth, floorBytes);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            Sample();
        }
    }

    private long? Sample()
    {
        if (_pid is not { } pid || ProcRss.Read(pid) is not { } rss)
        {
            return null;
        }

        Interlocked.Exchange(ref _last, rss);
        if (Interlocked.Read(ref _baseline) >= 0)
        {
            long peak;
            while (rss > (peak = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, rss, peak) != peak)
            {
            }
        }

        return rss;
    }
}
