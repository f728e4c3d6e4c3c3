namespace Tether.Heartbeat;

/// <summary>The agreed heartbeat of one connection.</summary>
/// <param name="Interval">Send a PING after this long without sending anything.</param>
/// <param name="Timeout">Declare the peer dead after this long without receiving anything.</param>
public readonly record struct HeartbeatSettings(TimeSpan Interval, TimeSpan Timeout);
