using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Tether.Heartbeat;

namespace Tether.Tests.Heartbeat;

public sealed class TimingWheelTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void An_entry_is_visited_at_its_due_tick_and_not_before()
    {
        var time = new FakeTimeProvider();
        var wheel = new TimingWheel(Tick, time, NullLogger.Instance, slotCount: 64);
        var entry = new CountingEntry();
        wheel.Schedule(entry, time.GetTimestamp() + Ticks(time, TimeSpan.FromMilliseconds(450)));

        Step(time, wheel, 4);
        Assert.Equal(0, entry.Visits);

        Step(time, wheel, 1);
        Assert.Equal(1, entry.Visits);
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void A_deadline_beyond_the_wheel_span_is_revisited_and_rescheduled()
    {
        var time = new FakeTimeProvider();
        var wheel = new TimingWheel(Tick, time, NullLogger.Instance, slotCount: 8);
        var due = time.GetTimestamp() + Ticks(time, TimeSpan.FromSeconds(2));
        var entry = new CountingEntry { Due = due };
        wheel.Schedule(entry, due);

        Step(time, wheel, 19);
        Assert.True(entry.Visits >= 2, "an early visit re-evaluates the entry");
        Assert.False(entry.SawDue);

        Step(time, wheel, 1);
        Assert.True(entry.SawDue);
    }

    [Fact]
    public void Removed_entries_are_never_visited_again()
    {
        var time = new FakeTimeProvider();
        var wheel = new TimingWheel(Tick, time, NullLogger.Instance, slotCount: 64);
        var entries = Enumerable.Range(0, 100).Select(_ => new CountingEntry()).ToArray();
        foreach (var entry in entries)
        {
            wheel.Schedule(entry, time.GetTimestamp() + Ticks(time, Tick));
        }

        foreach (var entry in entries.Where((_, i) => i % 2 == 0))
        {
            wheel.Remove(entry);
            wheel.Schedule(entry, time.GetTimestamp());
        }

        Step(time, wheel, 2);
        Assert.All(entries.Where((_, i) => i % 2 == 0), e => Assert.Equal(0, e.Visits));
        Assert.All(entries.Where((_, i) => i % 2 == 1), e => Assert.Equal(1, e.Visits));
    }

    [Fact]
    public void A_late_timer_catches_up_on_every_missed_tick()
    {
        var time = new FakeTimeProvider();
        var wheel = new TimingWheel(Tick, time, NullLogger.Instance, slotCount: 64);
        var entries = Enumerable.Range(1, 10).Select(i => (Entry: new CountingEntry(), Due: time.GetTimestamp() + Ticks(time, Tick * i))).ToArray();
        foreach (var (entry, due) in entries)
        {
            wheel.Schedule(entry, due);
        }

        time.Advance(TimeSpan.FromSeconds(1));
        wheel.Advance();

        Assert.All(entries, e => Assert.Equal(1, e.Entry.Visits));
    }

    private static void Step(FakeTimeProvider time, TimingWheel wheel, int ticks)
    {
        for (var i = 0; i < ticks; i++)
        {
            time.Advance(Tick);
            wheel.Advance();
        }
    }

    private static long Ticks(TimeProvider time, TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);

    [Fact]
    public async Task On_the_system_clock_the_wheel_ticks_by_itself_and_its_thread_ends_on_dispose()
    {
        var wheel = new TimingWheel(TimeSpan.FromMilliseconds(10), TimeProvider.System, NullLogger.Instance, slotCount: 64);
        var visited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entry = new SignallingEntry(visited);
        wheel.Start();
        wheel.Schedule(entry, TimeProvider.System.GetTimestamp() + Ticks(TimeProvider.System, TimeSpan.FromMilliseconds(30)));

        await visited.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("Tether wheel", entry.ThreadName);

        await wheel.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    private sealed class SignallingEntry(TaskCompletionSource visited) : IWheelEntry
    {
        private WheelLinks _links = new();

        public string? ThreadName { get; private set; }

        public ref WheelLinks WheelLinks => ref _links;

        public long OnWheelDue(long now)
        {
            ThreadName = Thread.CurrentThread.Name;
            visited.TrySetResult();
            return long.MaxValue;
        }
    }

    private sealed class CountingEntry : IWheelEntry
    {
        private WheelLinks _links = new();

        public int Visits { get; private set; }

        public long Due { get; init; } = long.MinValue;

        public bool SawDue { get; private set; }

        public ref WheelLinks WheelLinks => ref _links;

        public long OnWheelDue(long now)
        {
            Visits++;
            if (Due == long.MinValue || now >= Due)
            {
                SawDue = true;
                return long.MaxValue;
            }

            return Due;
        }
    }
}
