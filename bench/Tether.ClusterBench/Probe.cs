using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;

namespace Tether.ClusterBench;

/// <summary>What a message from the pusher is.</summary>
internal enum ProbeKind : byte
{
    /// <summary>A push to one client id, with an id unique in the run (loss and duplicate checks).</summary>
    Push = (byte)'P',

    /// <summary>A broadcast to every client.</summary>
    Broadcast = (byte)'B',
}

/// <summary>
/// The payload of every message the pusher sends: kind (1 byte), message id (8), the <see cref="Stopwatch"/> timestamp
/// taken just before the send call (8; CLOCK_MONOTONIC, comparable across processes on one Linux machine), and the
/// message's number in its client's stream (8; 0 outside a stream), big-endian.
/// </summary>
internal readonly record struct Probe(ProbeKind Kind, long Id, long Stamp, long Sequence)
{
    public const int Length = 25;

    public void Write(Span<byte> destination)
    {
        destination[0] = (byte)Kind;
        BinaryPrimitives.WriteInt64BigEndian(destination[1..], Id);
        BinaryPrimitives.WriteInt64BigEndian(destination[9..], Stamp);
        BinaryPrimitives.WriteInt64BigEndian(destination[17..], Sequence);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        Write(bytes);
        return bytes;
    }

    public static bool TryRead(ReadOnlySequence<byte> message, out Probe probe)
    {
        probe = default;
        if (message.Length != Length)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Length];
        message.CopyTo(bytes);
        probe = new Probe((ProbeKind)bytes[0], BinaryPrimitives.ReadInt64BigEndian(bytes[1..]),
            BinaryPrimitives.ReadInt64BigEndian(bytes[9..]), BinaryPrimitives.ReadInt64BigEndian(bytes[17..]));
        return probe.Kind is ProbeKind.Push or ProbeKind.Broadcast;
    }
}

/// <summary>
/// Client ids and endpoint lists, the same in the load processes and the pusher: client <c>i</c> whose home is node
/// <c>k</c> (1-based) is <c>c{k}-{i}</c>.
/// </summary>
internal static class ClientIds
{
    public static string Of(int node, int index) => $"c{node}-{index}";
}
