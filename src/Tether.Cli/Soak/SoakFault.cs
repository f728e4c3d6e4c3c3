using Tether.FaultProxy;

namespace Tether.Cli.Soak;

/// <summary>
/// One fault to inject: its kind, the direction it applies to, how long it lasts (zero for a reset, which is
/// instantaneous), and the added latency of a <see cref="FaultKind.Delay"/>.
/// </summary>
internal sealed record SoakFault(FaultKind Kind, FaultDirection Direction, TimeSpan Duration, TimeSpan Latency)
{
    private static readonly FaultKind[] Kinds = Enum.GetValues<FaultKind>();
    private static readonly FaultDirection[] Directions = [FaultDirection.Both, FaultDirection.ClientToServer, FaultDirection.ServerToClient];

    /// <summary>
    /// A random fault. Black holes last 1-4 s: shorter than the 3 s heartbeat timeout they leave a hole in the byte
    /// stream that the framing must notice, longer they must be caught by the heartbeat; both are worth testing.
    /// </summary>
    public static SoakFault Random(Random random)
    {
        var kind = Kinds[random.Next(Kinds.Length)];
        return kind switch
        {
            FaultKind.Reset => new SoakFault(kind, FaultDirection.Both, TimeSpan.Zero, TimeSpan.Zero),
            FaultKind.BlackHole => new SoakFault(kind, Directions[random.Next(Directions.Length)], Between(random, 1_000, 4_000), TimeSpan.Zero),
            FaultKind.Delay => new SoakFault(kind, Directions[random.Next(Directions.Length)], Between(random, 1_000, 4_000), Between(random, 50, 300)),
            FaultKind.Slice => new SoakFault(kind, FaultDirection.Both, Between(random, 1_000, 3_000), TimeSpan.Zero),
            _ => new SoakFault(kind, FaultDirection.Both, Between(random, 500, 2_000), TimeSpan.Zero),
        };
    }

    public override string ToString() => Kind switch
    {
        FaultKind.Reset => "reset",
        FaultKind.Delay => $"delay {Latency.TotalMilliseconds:0} ms {Direction} for {Duration.TotalSeconds:0.#} s",
        _ => $"{Kind} {Direction} for {Duration.TotalSeconds:0.#} s",
    };

    private static TimeSpan Between(Random random, int minMs, int maxMs) => TimeSpan.FromMilliseconds(random.Next(minMs, maxMs + 1));
}
