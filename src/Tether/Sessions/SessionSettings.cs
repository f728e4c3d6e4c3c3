namespace Tether.Sessions;

/// <summary>
/// What every session of one server or client shares: its clock, the unacknowledged-bytes limit and the ack policy.
/// Kept once and referenced by each session, rather than copied into each (28 bytes per session).
/// </summary>
internal sealed class SessionSettings(SessionOptions options, TimeProvider time)
{
    public TimeProvider Time { get; } = time;

    public int MaxUnacknowledgedBytes { get; } = options.MaxUnacknowledgedBytes;

    public AckPolicy Ack { get; } = AckPolicy.From(options, time);
}
