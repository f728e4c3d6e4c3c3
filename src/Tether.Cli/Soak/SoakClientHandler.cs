using System.Buffers;
using Tether.Client;

namespace Tether.Cli.Soak;

/// <summary>
/// A soak client's application: checks every message it receives against its stream, on the receive path. Against
/// the in-process server those are the server's pushes; against an echo server (--target), the echoes of its own
/// upstream messages, which check the round trip; in a cluster run, both: the nodes echo and the soak's own node pushes.
/// </summary>
internal sealed class SoakClientHandler(int index, SoakStreams streams, SoakCounters counters, SoakTraffic traffic) : TetherClientHandler
{
    public override ValueTask OnMessageAsync(TetherClient client, ReadOnlySequence<byte> message)
    {
        if (SoakMessage.TryRead(message, out var soak)
            && soak.Client == index
            && (soak.Direction == SoakDirection.Up ? traffic.Echo : traffic.Pushes)
            && streams.TryGet(soak, soak.Direction, out var checker))
        {
            checker.Received(soak.Counter);
        }
        else
        {
            counters.CorruptMessage();
        }

        return ValueTask.CompletedTask;
    }
}
