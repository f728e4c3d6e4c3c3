using System.Globalization;
using Tether.Cli.Parsing;
using Tether.FaultProxy;

namespace Tether.Cli.Proxying;

/// <summary>One stdin line of <c>tether proxy</c>, parsed; <see cref="ToString"/> gives its canonical text.</summary>
internal abstract record ProxyInstruction;

/// <summary>
/// <c>pass</c>, <c>blackhole</c>, <c>delay</c> or <c>slice</c> for one or both directions. <see cref="Delay"/> is set for
/// <see cref="FaultMode.Delay"/> only, <see cref="SliceBytes"/> and <see cref="Pause"/> for <see cref="FaultMode.Slice"/> only.
/// </summary>
internal sealed record FaultInstruction(FaultMode Mode, FaultDirection Direction, TimeSpan Delay = default, int SliceBytes = 0, TimeSpan Pause = default)
    : ProxyInstruction
{
    public static readonly FaultInstruction Pass = new(FaultMode.Pass, FaultDirection.Both);

    /// <summary>The fault alone, without the direction: <c>blackhole</c>, <c>delay 200ms</c>, <c>slice 1 10ms</c>.</summary>
    public string Fault => Mode switch
    {
        FaultMode.Delay => $"delay {DurationParser.Format(Delay)}",
        FaultMode.Slice when Pause > TimeSpan.Zero => $"slice {SliceBytes.ToString(CultureInfo.InvariantCulture)} {DurationParser.Format(Pause)}",
        FaultMode.Slice => $"slice {SliceBytes.ToString(CultureInfo.InvariantCulture)}",
        _ => ProxyInstructionParser.ModeName(Mode),
    };

    public override string ToString() =>
        Direction == FaultDirection.Both ? Fault : $"{Fault} {ProxyInstructionParser.DirectionName(Direction)}";
}

/// <summary><c>reset</c>: RST every current connection.</summary>
internal sealed record ResetInstruction : ProxyInstruction
{
    public override string ToString() => "reset";
}

/// <summary><c>refuse on|off</c>: reset new connections as soon as they are accepted, or stop doing so.</summary>
internal sealed record RefuseInstruction(bool Refuse) : ProxyInstruction
{
    public override string ToString() => Refuse ? "refuse on" : "refuse off";
}

/// <summary><c>status</c>: report modes and counters.</summary>
internal sealed record StatusInstruction : ProxyInstruction
{
    public override string ToString() => "status";
}

/// <summary><c>help</c>: list the commands.</summary>
internal sealed record HelpInstruction : ProxyInstruction
{
    public override string ToString() => "help";
}
