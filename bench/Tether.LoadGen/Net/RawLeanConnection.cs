using System.Diagnostics;

namespace Tether.LoadGen.Net;

/// <summary>What a raw connection does with the bytes the server echoes.</summary>
internal interface IRawReceiver
{
    /// <summary><paramref name="count"/> more bytes arrived (their content does not matter: the server echoes).</summary>
    void OnBytes(RawLeanConnection connection, int count, long now);
}

/// <summary>
/// A plain TCP connection to a <c>raw@</c> echo listener. Without a receiver (idle) it sends the 4 bytes <c>hb\r\n</c>
/// every heartbeat interval and counts every 4 echoed bytes as an answer.
/// </summary>
internal sealed class RawLeanConnection : LeanConnection
{
    private static readonly byte[] HeartbeatBytes = "hb\r\n"u8.ToArray();

    private readonly IRawReceiver? _receiver;
    private long _echoed;

    public RawLeanConnection(LeanContext context, IRawReceiver? receiver, TimeSpan heartbeat, int receiveBuffer, int sendBuffer)
        : base(context, receiveBuffer, sendBuffer)
    {
        _receiver = receiver;
        HeartbeatTicks = receiver is null ? (long)(heartbeat.TotalSeconds * Stopwatch.Frequency) : 0;
    }

    /// <summary>The lock to hold around <see cref="WriteLocked"/>.</summary>
    public Lock WriteLock => SendLock;

    /// <summary>Copies <paramref name="bytes"/> into the send buffer without flushing.</summary>
    public void WriteLocked(ReadOnlySpan<byte> bytes) => AppendLocked(bytes);

    protected override Task HandshakeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected override int Process(byte[] buffer, int length, long now)
    {
        if (_receiver is not null)
        {
            _receiver.OnBytes(this, length, now);
            return length;
        }

        var before = _echoed / HeartbeatBytes.Length;
        _echoed += length;
        for (var i = before; i < _echoed / HeartbeatBytes.Length; i++)
        {
            Context.Stats.OnHeartbeatAnswered();
        }

        return length;
    }

    protected override void SendHeartbeat(long now)
    {
        Send(HeartbeatBytes);
        Context.Stats.OnHeartbeatSent();
    }
}
