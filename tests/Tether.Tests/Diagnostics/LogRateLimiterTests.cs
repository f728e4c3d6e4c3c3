using Microsoft.Extensions.Time.Testing;
using Tether.Diagnostics;

namespace Tether.Tests.Diagnostics;

public class LogRateLimiterTests
{
    [Fact]
    public void A_burst_passes_then_lines_are_dropped_and_counted_until_tokens_return()
    {
        var time = new FakeTimeProvider();
        var limiter = new LogRateLimiter(time, perSecond: 2, burst: 3);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(limiter.TryAcquire(out var dropped));
            Assert.Equal(0, dropped);
        }

        for (var i = 0; i < 100; i++)
        {
            Assert.False(limiter.TryAcquire(out _));
        }

        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.True(limiter.TryAcquire(out var reported));
        Assert.Equal(100, reported);
        Assert.False(limiter.TryAcquire(out _));
    }

    [Fact]
    public void A_flood_of_a_minute_writes_at_most_the_burst_and_the_rate()
    {
        var time = new FakeTimeProvider();
        var limiter = new LogRateLimiter(time, perSecond: 10, burst: 50);
        var written = 0;
        // 1,000 attempts a second for a minute: 50 at once, then 10 a second.
        for (var step = 0; step < 60_000; step++)
        {
            written += limiter.TryAcquire(out _) ? 1 : 0;
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.InRange(written, 600, 650);
    }
}
