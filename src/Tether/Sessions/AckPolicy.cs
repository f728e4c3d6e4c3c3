namespace Tether.Sessions;

/// <summary>When a receiver acknowledges, in the units the hot path uses (timestamps of the session's clock).</summary>
internal sealed record AckPolicy(int AfterMessages, long AfterBytes, long DelayTimestamps)
{
    public static AckPolicy From(SessionOptions options, TimeProvider time) => new(
        options.AckAfterMessages,
        options.AckAfterBytes,
        (long)(options.AckDelay.TotalSeconds * time.TimestampFrequency));
}
