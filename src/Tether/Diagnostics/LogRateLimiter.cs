namespace Tether.Diagnostics;

/// <summary>
/// A token bucket for one kind of log line: up to <c>burst</c> lines at once and <c>perSecond</c> on average. What a
/// peer can trigger (a refusal, a protocol error, a timeout) goes through one, so that a flood of bad peers writes a
/// bounded number of lines and cannot fill a disk; the next line let through says how many were dropped.
/// </summary>
internal sealed class LogRateLimiter
{
    private readonly TimeProvider _time;
    private readonly double _perSecond;
    private readonly double _burst;
    private readonly Lock _lock = new();
    private double _tokens;
    private long _refilledAt;
    private long _dropped;

    public LogRateLimiter(TimeProvider time, double perSecond, double burst)
    {
        _time = time;
        _perSecond = perSecond;
        _burst = burst;
        _tokens = burst;
        _refilledAt = time.GetTimestamp();
    }

    /// <summary>True when a line may be written; <paramref name="dropped"/> is how many were refused since the last one.</summary>
    public bool TryAcquire(out long dropped)
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            _tokens = Math.Min(_burst, _tokens + ((now - _refilledAt) * _perSecond / _time.TimestampFrequency));
            _refilledAt = now;
            if (_tokens < 1)
            {
                _dropped++;
                dropped = 0;
                return false;
            }

            _tokens -= 1;
            dropped = _dropped;
            _dropped = 0;
            return true;
        }
    }
}
