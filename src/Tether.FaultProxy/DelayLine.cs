using System.Diagnostics;

namespace Tether.FaultProxy;

/// <summary>
/// The delay fault: a chunk is stamped with its due time when read and written no earlier, so chunks are pipelined
/// and the delay adds latency without dividing throughput.
/// </summary>
internal static class DelayLine
{
    /// <summary>The stopwatch timestamp a chunk read now is due at under <paramref name="fault"/>; 0 when not delayed.</summary>
    public static long DueTimestamp(FaultSettings fault) =>
        fault.Mode == FaultMode.Delay && fault.Delay > TimeSpan.Zero
            ? Stopwatch.GetTimestamp() + (long)(fault.Delay.TotalSeconds * Stopwatch.Frequency)
            : 0;

    /// <summary>Waits until the stopwatch reaches <paramref name="dueTimestamp"/>; never returns early.</summary>
    public static async ValueTask WaitUntilAsync(long dueTimestamp, CancellationToken cancellationToken)
    {
        while (true)
        {
            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), dueTimestamp);
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            // Timers have millisecond granularity and may fire a little early: round up and check again.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(remaining.TotalMilliseconds)), cancellationToken)
                .ConfigureAwait(false);
        }
    }
}
