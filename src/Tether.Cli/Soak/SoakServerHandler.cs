using System.Buffers;
using Tether.Server;
using Tether.Sessions;

namespace Tether.Cli.Soak;

/// <summary>
/// The in-process soak server's application: it checks every upstream message against its client's stream, on the
/// receive path so that the order seen is the order delivered, and counts the session losses it is told about.
/// It does not echo: the downstream stream is pushed separately, so that each direction is checked on its own.
/// </summary>
internal sealed class SoakServerHandler(SoakStreams streams, SoakCounters counters) : TetherServerHandler
{
    public override ValueTask OnMessageAsync(TetherConnection connection, ReadOnlySequence<byte> message)
    {
        // A message must also come from the client it names: one arriving on another client's connection is misrouted.
        if (SoakMessage.TryRead(message, out var soak)
            && streams.TryGet(soak, SoakDirection.Up, out var checker)
            && connection.ClientId == streams.ClientId(soak.Client))
        {
            checker.Received(soak.Counter);
        }
        else
        {
            counters.CorruptMessage();
        }

        return ValueTask.CompletedTask;
    }

    public override ValueTask OnSessionLostAsync(SessionLostInfo info)
    {
        counters.ServerReportedLost(info.SessionId);
        return ValueTask.CompletedTask;
    }
}
