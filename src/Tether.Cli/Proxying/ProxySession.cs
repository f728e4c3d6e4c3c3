using Tether.FaultProxy;

namespace Tether.Cli.Proxying;

/// <summary>
/// The stdin side of <c>tether proxy</c>: each line is parsed, applied to the proxy at once (so to every current and
/// future connection) and acknowledged with exactly one reply, or ignored when blank.
/// </summary>
internal sealed class ProxySession
{
    private readonly TcpFaultProxy _proxy;
    private readonly ProxyReplyWriter _replies;

    // The library reports modes but not their parameters; every change goes through here, so this is the full picture.
    private FaultInstruction _up = FaultInstruction.Pass with { Direction = FaultDirection.ClientToServer };
    private FaultInstruction _down = FaultInstruction.Pass with { Direction = FaultDirection.ServerToClient };

    public ProxySession(TcpFaultProxy proxy, ProxyReplyWriter replies)
    {
        _proxy = proxy;
        _replies = replies;
    }

    /// <summary>Executes lines until <paramref name="input"/> ends.</summary>
    public async Task RunAsync(TextReader input, CancellationToken cancellationToken)
    {
        while (await input.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            Execute(line);
        }
    }

    public void Execute(string line)
    {
        if (!ProxyInstructionParser.TryParse(line, out var instruction, out var error))
        {
            _replies.Error(error!);
            return;
        }

        switch (instruction)
        {
            case null:
                break;
            case FaultInstruction fault:
                Apply(fault);
                _replies.Fault(fault);
                break;
            case ResetInstruction:
                _replies.Reset(_proxy.ResetAll());
                break;
            case RefuseInstruction refuse:
                _proxy.RefuseNewConnections(refuse.Refuse);
                _replies.Refuse(refuse.Refuse);
                break;
            case StatusInstruction:
                _replies.Status(new ProxyStatus(
                    _proxy.Mode, _up, _down, _proxy.IsRefusingNewConnections, _proxy.ActiveConnections, _proxy.AcceptedConnections, _proxy.BytesForwarded));
                break;
            case HelpInstruction:
                _replies.Help();
                break;
        }
    }

    private void Apply(FaultInstruction fault)
    {
        switch (fault.Mode)
        {
            case FaultMode.Pass:
                _proxy.Pass(fault.Direction);
                break;
            case FaultMode.BlackHole:
                _proxy.BlackHole(fault.Direction);
                break;
            case FaultMode.Delay:
                _proxy.Delay(fault.Delay, fault.Direction);
                break;
            case FaultMode.Slice:
                _proxy.Slice(fault.SliceBytes, fault.Pause, fault.Direction);
                break;
        }

        if (fault.Direction != FaultDirection.ServerToClient)
        {
            _up = fault with { Direction = FaultDirection.ClientToServer };
        }

        if (fault.Direction != FaultDirection.ClientToServer)
        {
            _down = fault with { Direction = FaultDirection.ServerToClient };
        }
    }
}
