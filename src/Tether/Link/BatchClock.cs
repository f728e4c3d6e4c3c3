namespace Tether.Link;

/// <summary>
/// The timestamp of the received batch this thread is handling, if any. A batch reads the clock once; the replies its
/// handlers send while it is handled stamp the link's send clock with that reading instead of reading the clock again
/// for every message (a clock read costs as much as the rest of a small send). Liveness works in heartbeat intervals,
/// so a stamp that old by the length of a batch changes nothing. Kept per thread, not per link, so that it costs an
/// idle connection nothing; the clock is kept with it so that a link on another <see cref="TimeProvider"/> never takes
/// a reading of this one.
/// </summary>
internal static class BatchClock
{
    [ThreadStatic]
    private static TimeProvider? _time;

    [ThreadStatic]
    private static long _now;

    /// <summary>A batch read at <paramref name="now"/> on <paramref name="time"/> is being handled on this thread.</summary>
    public static void Enter(TimeProvider time, long now)
    {
        _time = time;
        _now = now;
    }

    /// <summary>The batch is done.</summary>
    public static void Leave() => _time = null;

    /// <summary>The batch's reading if this thread handles one of <paramref name="time"/>, else a fresh one.</summary>
    public static long Now(TimeProvider time) => ReferenceEquals(_time, time) ? _now : time.GetTimestamp();
}
