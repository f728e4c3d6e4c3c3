namespace Tether.Heartbeat;

/// <summary>
/// Something the <see cref="TimingWheel"/> visits when it is due. The list links live in the entry itself
/// (<see cref="WheelLinks"/>), so scheduling allocates nothing and removal is O(1).
/// </summary>
internal interface IWheelEntry
{
    /// <summary>The entry's links, owned by the wheel.</summary>
    ref WheelLinks WheelLinks { get; }

    /// <summary>
    /// Called from the wheel's thread when the entry's due tick arrives. Returns the next due timestamp, or
    /// <see cref="long.MaxValue"/> to leave the wheel. Must not block.
    /// </summary>
    long OnWheelDue(long now);
}
