using Tether.Heartbeat;

namespace Tether.Tests.Heartbeat;

public sealed class LivenessRuleTests
{
    private const long Interval = 10;
    private const long Timeout = 25;

    [Fact]
    public void Nothing_to_do_while_both_clocks_are_fresh()
    {
        Assert.Equal(LivenessVerdict.Wait, LivenessRule.Evaluate(now: 105, lastSent: 100, lastReceived: 100, Interval, Timeout, out var next));
        Assert.Equal(110, next);
    }

    [Fact]
    public void A_ping_goes_out_when_nothing_was_sent_for_the_interval()
    {
        Assert.Equal(LivenessVerdict.SendPing, LivenessRule.Evaluate(now: 110, lastSent: 100, lastReceived: 109, Interval, Timeout, out var next));
        Assert.Equal(120, next);
    }

    [Fact]
    public void A_busy_sender_never_pings_but_still_dies_when_nothing_comes_back()
    {
        // The sender keeps writing (lastSent is always fresh): the half-open link is caught by the receive clock.
        Assert.Equal(LivenessVerdict.Wait, LivenessRule.Evaluate(now: 124, lastSent: 123, lastReceived: 100, Interval, Timeout, out var next));
        Assert.Equal(125, next);
        Assert.Equal(LivenessVerdict.Dead, LivenessRule.Evaluate(now: 125, lastSent: 124, lastReceived: 100, Interval, Timeout, out _));
    }

    [Fact]
    public void The_next_check_never_passes_the_death_deadline()
    {
        Assert.Equal(LivenessVerdict.SendPing, LivenessRule.Evaluate(now: 120, lastSent: 100, lastReceived: 100, Interval, Timeout, out var next));
        Assert.Equal(125, next);
    }
}
