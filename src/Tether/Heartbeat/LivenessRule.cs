namespace Tether.Heartbeat;

/// <summary>
/// The one liveness rule both sides follow, in timestamp units of a <see cref="TimeProvider"/>:
/// send a PING when nothing was <em>sent</em> for the interval; declare the peer dead when nothing was
/// <em>received</em> for the timeout. Watching both clocks is what catches a half-open link while we keep writing.
/// </summary>
internal static class LivenessRule
{
    public static LivenessVerdict Evaluate(long now, long lastSent, long lastReceived, long interval, long timeout, out long nextDue)
    {
        var deadAt = lastReceived + timeout;
        if (now >= deadAt)
        {
            nextDue = now;
            return LivenessVerdict.Dead;
        }

        var pingAt = lastSent + interval;
        if (now >= pingAt)
        {
            // The PING we are about to send moves lastSent to now.
            nextDue = Math.Min(now + interval, deadAt);
            return LivenessVerdict.SendPing;
        }

        nextDue = Math.Min(pingAt, deadAt);
        return LivenessVerdict.Wait;
    }
}
