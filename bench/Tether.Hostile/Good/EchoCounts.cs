namespace Tether.Hostile.Good;

/// <summary>Messages sent, echoes received, messages never echoed in order, and echoes received twice, late, or never sent.</summary>
internal readonly record struct EchoCounts(long Sent, long Echoed, long Lost, long Duplicated)
{
    public static EchoCounts operator +(EchoCounts a, EchoCounts b) =>
        new(a.Sent + b.Sent, a.Echoed + b.Echoed, a.Lost + b.Lost, a.Duplicated + b.Duplicated);
}
