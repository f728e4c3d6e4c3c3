namespace Tether.Sessions;

/// <summary>Session settings of a server: on top of <see cref="SessionOptions"/>, how long and how much it keeps for absent clients.</summary>
public sealed class ServerSessionOptions : SessionOptions
{
    /// <summary>
    /// How long a session is kept after its connection drops, waiting for the client to resume it. Messages sent to it
    /// meanwhile are buffered (up to <see cref="SessionOptions.MaxUnacknowledgedBytes"/>). Default 2 minutes.
    /// </summary>
    public TimeSpan DetachedTimeToLive { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>What to do when a message does not fit in a session's replay buffer. Default <see cref="SlowConsumerPolicy.Wait"/>.</summary>
    public SlowConsumerPolicy SlowConsumerPolicy { get; set; } = SlowConsumerPolicy.Wait;

    /// <summary>With <see cref="SlowConsumerPolicy.Wait"/>: how long a send waits for room before the connection is closed. Default 10 s.</summary>
    public TimeSpan SlowConsumerTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many lost sessions are remembered so that a client resuming one learns why (EXPIRED, OVERFLOW) and how many
    /// messages it lost, instead of UNKNOWN. Default 100,000 (about 10 MB at most).
    /// </summary>
    public int RememberedLostSessions { get; set; } = 100_000;

    internal override void Validate()
    {
        base.Validate();
        if (DetachedTimeToLive < TimeSpan.Zero || SlowConsumerTimeout < TimeSpan.Zero || RememberedLostSessions < 0)
        {
            throw new ArgumentException("session time to live, slow-consumer timeout and remembered sessions must not be negative");
        }
    }
}
