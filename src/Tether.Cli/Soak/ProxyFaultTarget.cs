using Tether.FaultProxy;

namespace Tether.Cli.Soak;

/// <summary>Injects soak faults through a <see cref="TcpFaultProxy"/>.</summary>
internal sealed class ProxyFaultTarget(TcpFaultProxy proxy) : IFaultTarget
{
    public void Apply(SoakFault fault)
    {
        switch (fault.Kind)
        {
            case FaultKind.Reset:
                proxy.ResetAll();
                break;
            case FaultKind.BlackHole:
                proxy.BlackHole(fault.Direction);
                break;
            case FaultKind.Delay:
                proxy.Delay(fault.Latency, fault.Direction);
                break;
            case FaultKind.Slice:
                proxy.Slice(1, fault.Direction);
                break;
            case FaultKind.Refuse:
                // Refuse first, so the client's immediate reconnect meets a refusing path rather than slipping through.
                proxy.RefuseNewConnections(true);
                proxy.ResetAll();
                break;
        }
    }

    public void Heal()
    {
        proxy.RefuseNewConnections(false);
        proxy.Pass();
    }
}
