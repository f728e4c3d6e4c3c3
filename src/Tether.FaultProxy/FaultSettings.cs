namespace Tether.FaultProxy;

/// <summary>The fault applied to one direction; immutable, swapped atomically.</summary>
internal sealed record FaultSettings(FaultMode Mode, TimeSpan Delay, int SliceBytes, TimeSpan SlicePause)
{
    public static readonly FaultSettings Pass = new(FaultMode.Pass, TimeSpan.Zero, 0, TimeSpan.Zero);

    public static readonly FaultSettings BlackHole = new(FaultMode.BlackHole, TimeSpan.Zero, 0, TimeSpan.Zero);
}
