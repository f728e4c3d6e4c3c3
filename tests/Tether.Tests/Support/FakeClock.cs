using Microsoft.Extensions.Time.Testing;

namespace Tether.Tests.Support;

/// <summary>
/// Drives a <see cref="FakeTimeProvider"/> while real sockets do their work: advance a step, give the I/O a moment to
/// react, check the condition. Bounded in fake time (the limit under test) and in steps.
/// </summary>
internal static class FakeClock
{
    public static async Task<TimeSpan> AdvanceUntilAsync(this FakeTimeProvider time, Func<bool> condition, TimeSpan step, TimeSpan limit)
    {
        var elapsed = TimeSpan.Zero;
        while (!condition())
        {
            if (elapsed >= limit)
            {
                throw new TimeoutException($"condition not met within {limit.TotalSeconds} s of fake time");
            }

            time.Advance(step);
            elapsed += step;
            await SettleAsync(condition);
        }

        return elapsed;
    }

    /// <summary>Advances <paramref name="total"/> in steps, letting I/O settle after each.</summary>
    public static async Task AdvanceAsync(this FakeTimeProvider time, TimeSpan total, TimeSpan step)
    {
        for (var elapsed = TimeSpan.Zero; elapsed < total; elapsed += step)
        {
            time.Advance(step);
            await SettleAsync(static () => false);
        }
    }

    private static async Task SettleAsync(Func<bool> condition)
    {
        // Real time for sockets and thread-pool continuations to run; returns early once the condition holds.
        for (var i = 0; i < 20 && !condition(); i++)
        {
            await Task.Delay(5);
        }
    }
}
