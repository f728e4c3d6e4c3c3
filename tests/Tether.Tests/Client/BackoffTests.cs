using Tether.Client;

namespace Tether.Tests.Client;

public sealed class BackoffTests
{
    [Fact]
    public void Ceiling_doubles_from_the_base_up_to_the_cap()
    {
        var backoff = new ExponentialBackoff(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));

        Assert.Equal(TimeSpan.FromMilliseconds(500), backoff.Ceiling(1));
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.Ceiling(2));
        Assert.Equal(TimeSpan.FromSeconds(16), backoff.Ceiling(6));
        Assert.Equal(TimeSpan.FromSeconds(30), backoff.Ceiling(7));
        Assert.Equal(TimeSpan.FromSeconds(30), backoff.Ceiling(10_000));
    }

    [Fact]
    public void Delays_stay_within_zero_and_the_ceiling_and_are_spread_out()
    {
        var backoff = new ExponentialBackoff(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), new Random(42));

        for (var attempt = 1; attempt <= 12; attempt++)
        {
            var delays = Enumerable.Range(0, 500).Select(_ => backoff.NextDelay(attempt)).ToArray();
            Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, backoff.Ceiling(attempt)));

            // Full jitter: the delays cover the window rather than clustering at one value.
            var ceiling = backoff.Ceiling(attempt).TotalMilliseconds;
            Assert.Contains(delays, d => d.TotalMilliseconds < ceiling * 0.25);
            Assert.Contains(delays, d => d.TotalMilliseconds > ceiling * 0.75);
            Assert.True(delays.Distinct().Count() > 400, "delays must be jittered");
        }
    }
}
