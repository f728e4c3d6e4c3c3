namespace Tether.Fuzz.Engine;

/// <summary>The settings of one fuzz run.</summary>
internal sealed record FuzzOptions
{
    public string Framing { get; init; } = "all";

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    public int Seed { get; init; }

    /// <summary>About how many bytes each generated stream holds before it is mutated.</summary>
    public int MaxSize { get; init; } = 4096;

    /// <summary>Stop after this many cases even if time is left; null for no limit.</summary>
    public long? Cases { get; init; }
}
