namespace Tether.Hosting.Upstream;

/// <summary>
/// At most one line per interval for a kind of line that a failing endpoint or many clients can repeat; the next line
/// let through says how many were held back.
/// </summary>
internal sealed class LogThrottle(TimeProvider time, TimeSpan interval)
{
    private readonly Lock _lock = new();
    private long _nextAt = long.MinValue;
    private long _held;

    public bool TryAcquire(out long held)
    {
        lock (_lock)
        {
            var now = time.GetTimestamp();
            if (now < _nextAt)
            {
                _held++;
                held = 0;
                return false;
            }

            _nextAt = now + (long)(interval.TotalSeconds * time.TimestampFrequency);
            held = _held;
            _held = 0;
            return true;
        }
    }
}
