namespace Tether.Cli.Soak;

/// <summary>
/// Damages one client's path at random: waits 0.5 to 1.5 times the mean period (so that clients drift apart instead of
/// all failing together), injects a random fault, heals the path when the fault's duration is over, and repeats.
/// </summary>
internal sealed class FaultScheduler(IFaultTarget target, TimeSpan meanPeriod, Random random, TimeProvider time, SoakCounters counters)
{
    /// <summary>Runs until <paramref name="stop"/>; the path is healed on the way out whatever fault was active.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(meanPeriod * (0.5 + random.NextDouble()), time, stop).ConfigureAwait(false);
                var fault = SoakFault.Random(random);
                target.Apply(fault);
                counters.FaultInjected(fault.Kind);
                if (fault.Duration > TimeSpan.Zero)
                {
                    await Task.Delay(fault.Duration, time, stop).ConfigureAwait(false);
                    target.Heal();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            target.Heal();
        }
    }
}
