using Tether.FaultProxy;

namespace Tether.Cli.Soak;

/// <summary>The path a <see cref="FaultScheduler"/> damages: in a soak, one client's <see cref="TcpFaultProxy"/>.</summary>
internal interface IFaultTarget
{
    /// <summary>Starts <paramref name="fault"/> (a reset is over once this returns).</summary>
    void Apply(SoakFault fault);

    /// <summary>Back to a healthy path: forwarding in both directions, new connections accepted.</summary>
    void Heal();
}
