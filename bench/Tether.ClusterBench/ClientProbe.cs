using System.Buffers;
using Tether.Client;

namespace Tether.ClusterBench;

/// <summary>One client's handler: hands each message, with the client's index, to the process's recorder.</summary>
internal sealed class ClientProbe(int index, ArrivalRecorder recorder) : TetherClientHandler
{
    public override ValueTask OnMessageAsync(TetherClient client, ReadOnlySequence<byte> message)
    {
        if (Probe.TryRead(message, out var probe))
        {
            recorder.Record(index, probe);
        }
        else
        {
            recorder.RecordMalformed();
        }

        return ValueTask.CompletedTask;
    }
}
