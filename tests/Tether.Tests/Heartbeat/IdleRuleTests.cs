using Tether.Heartbeat;

namespace Tether.Tests.Heartbeat;

public sealed class IdleRuleTests
{
    private const long Idle = 100;
    private const long Probe = 30;

    [Fact]
    public void Without_a_probe_only_the_idle_deadline_matters()
    {
        Assert.Equal(LivenessVerdict.Wait, IdleRule.Evaluate(now: 50, lastReceived: 0, lastProbe: 0, Idle, probeInterval: 0, out var next));
        Assert.Equal(100, next);

        Assert.Equal(LivenessVerdict.Dead, IdleRule.Evaluate(now: 100, lastReceived: 0, lastProbe: 0, Idle, probeInterval: 0, out _));
    }

    [Fact]
    public void Inbound_bytes_push_the_deadline_back()
    {
        Assert.Equal(LivenessVerdict.Wait, IdleRule.Evaluate(now: 150, lastReceived: 90, lastProbe: 0, Idle, probeInterval: 0, out var next));
        Assert.Equal(190, next);
    }

    [Fact]
    public void A_probe_goes_out_after_each_interval_of_inbound_silence_until_the_peer_is_dead()
    {
        Assert.Equal(LivenessVerdict.Wait, IdleRule.Evaluate(now: 10, lastReceived: 0, lastProbe: 0, Idle, Probe, out var next));
        Assert.Equal(30, next);

        Assert.Equal(LivenessVerdict.SendPing, IdleRule.Evaluate(now: 30, lastReceived: 0, lastProbe: 0, Idle, Probe, out next));
        Assert.Equal(60, next);

        // The probe just sent (at 30) waits its interval before the next one.
        Assert.Equal(LivenessVerdict.Wait, IdleRule.Evaluate(now: 45, lastReceived: 0, lastProbe: 30, Idle, Probe, out next));
        Assert.Equal(60, next);

        Assert.Equal(LivenessVerdict.SendPing, IdleRule.Evaluate(now: 90, lastReceived: 0, lastProbe: 60, Idle, Probe, out next));
        Assert.Equal(100, next);

        Assert.Equal(LivenessVerdict.Dead, IdleRule.Evaluate(now: 100, lastReceived: 0, lastProbe: 90, Idle, Probe, out _));
    }

    [Fact]
    public void An_answer_restarts_the_probe_interval_from_what_arrived()
    {
        Assert.Equal(LivenessVerdict.Wait, IdleRule.Evaluate(now: 40, lastReceived: 35, lastProbe: 30, Idle, Probe, out var next));
        Assert.Equal(65, next);
    }
}
