namespace Tether.Heartbeat;

/// <summary>Intrusive list links of an <see cref="IWheelEntry"/>; only the <see cref="TimingWheel"/> touches them.</summary>
internal struct WheelLinks
{
    public IWheelEntry? Next;
    public IWheelEntry? Previous;
    public int Slot;
    public bool Removed;

    public WheelLinks() => Slot = -1;
}
