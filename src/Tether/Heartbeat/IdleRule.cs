namespace Tether.Heartbeat;

/// <summary>
/// The liveness rule of plain connections, in timestamp units of a <see cref="TimeProvider"/>. Plain peers have no PING
/// of their own, so only what they send counts: dead when nothing was <em>received</em> for the idle timeout; with a
/// probe, one goes out after each probe interval of inbound silence to give the peer something to
/// answer. Unlike <see cref="LivenessRule"/>, our own sending does not postpone the probe: a server pushing to a silent
/// device still needs to hear from it.
/// </summary>
internal static class IdleRule
{
    /// <param name="now">The current timestamp.</param>
    /// <param name="lastReceived">When the last byte arrived.</param>
    /// <param name="lastProbe">When the last probe went out (0: never).</param>
    /// <param name="idleTimeout">Silence after which the peer is dead.</param>
    /// <param name="probeInterval">Silence between probes; 0 when the listener sends none.</param>
    /// <param name="nextDue">When to look again.</param>
    public static LivenessVerdict Evaluate(long now, long lastReceived, long lastProbe, long idleTimeout, long probeInterval, out long nextDue)
    {
        var deadAt = lastReceived + idleTimeout;
        if (now >= deadAt)
        {
            nextDue = now;
            return LivenessVerdict.Dead;
        }

        if (probeInterval <= 0)
        {
            nextDue = deadAt;
            return LivenessVerdict.Wait;
        }

        var probeAt = Math.Max(lastReceived, lastProbe) + probeInterval;
        if (now >= probeAt)
        {
            nextDue = Math.Min(now + probeInterval, deadAt);
            return LivenessVerdict.SendPing;
        }

        nextDue = Math.Min(probeAt, deadAt);
        return LivenessVerdict.Wait;
    }
}
