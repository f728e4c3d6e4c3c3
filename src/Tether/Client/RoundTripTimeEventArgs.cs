namespace Tether.Client;

/// <summary>A round-trip time measured by a PING/PONG exchange.</summary>
public sealed class RoundTripTimeEventArgs(TimeSpan roundTripTime) : EventArgs
{
    /// <summary>The measured round-trip time.</summary>
    public TimeSpan RoundTripTime { get; } = roundTripTime;
}
