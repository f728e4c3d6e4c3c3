using System.Net;
using Microsoft.Extensions.Time.Testing;
using Tether.Cli.Soak;
using Tether.FaultProxy;

namespace Tether.Cli.Tests.Soak;

public class FaultSchedulerTests
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task Faults_come_half_to_one_and_a_half_periods_apart_and_timed_ones_are_healed_after_their_duration()
    {
        var time = new FakeTimeProvider();
        var target = new RecordingTarget(time);
        var counters = new SoakCounters();
        using var stop = new CancellationTokenSource();
        var run = new FaultScheduler(target, Period, new Random(7), time, counters).RunAsync(stop.Token);

        for (var elapsed = TimeSpan.Zero; elapsed < TimeSpan.FromMinutes(2); elapsed += Step)
        {
            time.Advance(Step);
            // Real time for the scheduler's continuation to run and arm its next delay before time moves on.
            await Task.Delay(2);
        }

        await stop.CancelAsync();
        await run;

        var events = target.Events;
        Assert.True(counters.Faults >= 25, $"{counters.Faults} faults in 2 minutes with a 2 s period");
        Assert.Equal(counters.Faults, events.Count(e => e.Fault is not null));
        var pathHealthySince = TimeSpan.Zero;
        // The last faults may have been cut short by the stop; every earlier one ran its course.
        var checkedUntil = events[^1].At - TimeSpan.FromSeconds(5);
        for (var i = 0; i < events.Count - 1 && events[i].At < checkedUntil; i++)
        {
            var (at, fault) = events[i];
            if (fault is null)
            {
                continue;
            }

            var wait = at - pathHealthySince;
            Assert.InRange(wait, (Period * 0.5) - Step, (Period * 1.5) + Step);
            if (fault.Duration > TimeSpan.Zero)
            {
                var healed = events[i + 1];
                Assert.Null(healed.Fault);
                Assert.InRange(healed.At - at, fault.Duration - Step, fault.Duration + Step);
                pathHealthySince = healed.At;
            }
            else
            {
                pathHealthySince = at;
            }
        }

        Assert.Null(events[^1].Fault);
        Assert.Equal(Enum.GetValues<FaultKind>(), counters.FaultsByKind.Where(k => k.Value > 0).Select(k => k.Key).Order());
    }

    [Fact]
    public async Task Stopping_heals_the_path_even_in_the_middle_of_a_fault()
    {
        var time = new FakeTimeProvider();
        var target = new RecordingTarget(time);
        using var stop = new CancellationTokenSource();
        var run = new FaultScheduler(target, Period, new Random(1), time, new SoakCounters()).RunAsync(stop.Token);
        while (target.Events.Count == 0)
        {
            time.Advance(Step);
            await Task.Delay(2);
        }

        await stop.CancelAsync();
        await run;
        Assert.Null(target.Events[^1].Fault);
    }

    [Fact]
    public void Random_faults_stay_within_their_ranges()
    {
        var random = new Random(3);
        var faults = Enumerable.Range(0, 2000).Select(_ => SoakFault.Random(random)).ToList();
        Assert.Equal(Enum.GetValues<FaultKind>(), faults.Select(f => f.Kind).Distinct().Order());
        Assert.All(faults.Where(f => f.Kind == FaultKind.Reset), f => Assert.Equal(TimeSpan.Zero, f.Duration));
        Assert.All(faults.Where(f => f.Kind == FaultKind.BlackHole), f => Assert.InRange(f.Duration.TotalSeconds, 1, 4));
        Assert.All(faults.Where(f => f.Kind == FaultKind.Delay), f => Assert.InRange(f.Latency.TotalMilliseconds, 50, 300));
        Assert.All(faults.Where(f => f.Kind == FaultKind.Slice), f => Assert.InRange(f.Duration.TotalSeconds, 1, 3));
        Assert.All(faults.Where(f => f.Kind == FaultKind.Refuse), f => Assert.InRange(f.Duration.TotalSeconds, 0.5, 2));
        // Half-open links in either direction, not only both at once.
        Assert.Equal(3, faults.Where(f => f.Kind == FaultKind.BlackHole).Select(f => f.Direction).Distinct().Count());
    }

    [Fact]
    public async Task The_proxy_target_applies_each_fault_and_heals_it()
    {
        await using var proxy = TcpFaultProxy.Start(new IPEndPoint(IPAddress.Loopback, 1));
        var target = new ProxyFaultTarget(proxy);

        target.Apply(new SoakFault(FaultKind.BlackHole, FaultDirection.ServerToClient, TimeSpan.FromSeconds(1), TimeSpan.Zero));
        Assert.Equal(FaultMode.BlackHole, proxy.GetMode(FaultDirection.ServerToClient));
        Assert.Equal(FaultMode.Pass, proxy.GetMode(FaultDirection.ClientToServer));
        target.Heal();
        Assert.Equal(FaultMode.Pass, proxy.Mode);

        target.Apply(new SoakFault(FaultKind.Delay, FaultDirection.Both, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100)));
        Assert.Equal(FaultMode.Delay, proxy.Mode);
        target.Apply(new SoakFault(FaultKind.Slice, FaultDirection.Both, TimeSpan.FromSeconds(1), TimeSpan.Zero));
        Assert.Equal(FaultMode.Slice, proxy.Mode);
        target.Apply(new SoakFault(FaultKind.Refuse, FaultDirection.Both, TimeSpan.FromSeconds(1), TimeSpan.Zero));
        Assert.True(proxy.IsRefusingNewConnections);

        target.Heal();
        Assert.Equal(FaultMode.Pass, proxy.Mode);
        Assert.False(proxy.IsRefusingNewConnections);
    }

    /// <summary>Records each fault applied and each heal, with the fake time elapsed since the start.</summary>
    private sealed class RecordingTarget(FakeTimeProvider time) : IFaultTarget
    {
        private readonly DateTimeOffset _start = time.GetUtcNow();
        private readonly Lock _lock = new();
        private readonly List<(TimeSpan At, SoakFault? Fault)> _events = [];

        public IReadOnlyList<(TimeSpan At, SoakFault? Fault)> Events
        {
            get
            {
                lock (_lock)
                {
                    return [.. _events];
                }
            }
        }

        public void Apply(SoakFault fault) => Record(fault);

        public void Heal() => Record(null);

        private void Record(SoakFault? fault)
        {
            lock (_lock)
            {
                _events.Add((time.GetUtcNow() - _start, fault));
            }
        }
    }
}
