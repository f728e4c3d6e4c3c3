using Microsoft.Extensions.Time.Testing;
using Tether.Server;

namespace Tether.Tests.Server;

/// <summary>When the server gives memory back after a peak: once per fall of the load to a quarter, never for small peaks.</summary>
public sealed class PeakMemoryReturnTests
{
    [Fact]
    public void It_returns_memory_once_when_the_load_falls_to_a_quarter_of_its_peak()
    {
        var time = new FakeTimeProvider();
        var load = 0;
        var collections = 0;
        var reports = new List<MemoryReturned>();
        using var memory = new PeakMemoryReturn(() => load, () => { collections++; return new MemoryReturned(0, 0, 300, 100, 50, TimeSpan.FromMilliseconds(3)); }, reports.Add, time);
        memory.Start();

        foreach (var step in new[] { 1_000, 10_000, 40_000, 30_000, 10_001 })
        {
            load = step;
            time.Advance(PeakMemoryReturn.CheckInterval);
        }

        Assert.Equal(40_000, memory.Peak);
        Assert.Equal(0, collections);

        load = 10_000;
        time.Advance(PeakMemoryReturn.CheckInterval);
        var report = Assert.Single(reports);
        Assert.Equal(1, collections);
        Assert.Equal((40_000, 10_000, 300L, 100L), (report.Peak, report.Load, report.CommittedBefore, report.CommittedAfter));

        // The peak starts again from where the load was: staying there, or falling a little, collects nothing more.
        load = 9_000;
        time.Advance(PeakMemoryReturn.CheckInterval * 10);
        Assert.Equal(1, collections);

        load = 2_000;
        time.Advance(PeakMemoryReturn.CheckInterval);
        Assert.Equal(2, collections);
        Assert.Equal((10_000, 2_000), (reports[1].Peak, reports[1].Load));
    }

    [Fact]
    public void A_peak_below_the_minimum_is_not_worth_a_collection()
    {
        var time = new FakeTimeProvider();
        var load = PeakMemoryReturn.MinimumPeak - 1;
        var collections = 0;
        using var memory = new PeakMemoryReturn(() => load, () => { collections++; return default; }, _ => { }, time);
        memory.Start();

        time.Advance(PeakMemoryReturn.CheckInterval);
        load = 0;
        time.Advance(PeakMemoryReturn.CheckInterval * 5);

        Assert.Equal(0, collections);
    }

    [Fact]
    public void No_check_runs_after_dispose()
    {
        var time = new FakeTimeProvider();
        var reads = 0;
        var memory = new PeakMemoryReturn(() => ++reads, () => default, _ => { }, time);
        memory.Start();
        time.Advance(PeakMemoryReturn.CheckInterval * 2);
        Assert.Equal(2, reads);

        memory.Dispose();
        time.Advance(PeakMemoryReturn.CheckInterval * 5);
        Assert.Equal(2, reads);
    }
}
