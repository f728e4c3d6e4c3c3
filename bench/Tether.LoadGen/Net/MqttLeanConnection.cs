using System.Buffers.Binary;
using System.Text;

namespace Tether.LoadGen.Net;

/// <summary>
/// MQTT 3.1.1 for idle: CONNECT (clean session, keepalive = the heartbeat in seconds, a unique client id), CONNACK,
/// then PINGREQ after a keepalive of sending nothing, PINGRESP expected; DISCONNECT at the end.
/// </summary>
internal sealed class MqttLeanConnection : LeanConnection
{
    private const byte ConnAck = 0x20;
    private const byte PingResp = 0xD0;
    private static readonly byte[] PingReq = [0xC0, 0x00];
    private static readonly byte[] Disconnect = [0xE0, 0x00];

    private readonly byte[] _connect;

    public MqttLeanConnection(LeanContext context, string clientId, TimeSpan keepAlive)
        : base(context, 64, 64)
    {
        var seconds = (ushort)Math.Clamp((int)keepAlive.TotalSeconds, 1, ushort.MaxValue);
        HeartbeatTicks = (long)(seconds * (double)System.Diagnostics.Stopwatch.Frequency);
        _connect = EncodeConnect(clientId, seconds);
    }

    protected override async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        Send(_connect);
        while (true)
        {
            var length = await ReceiveHandshakeAsync(cancellationToken).ConfigureAwait(false);
            if (length == 0)
            {
                throw new HandshakeException("eof-before-connack", retry: true);
            }

            if (!TryPacket(Received, out var type, out var packetLength, out var bodyOffset))
            {
                continue;
            }

            if ((type & 0xF0) != ConnAck || packetLength - bodyOffset != 2)
            {
                throw new HandshakeException($"mqtt-unexpected-0x{type:x2}", retry: false);
            }

            var code = Received[bodyOffset + 1];
            ConsumeReceived(packetLength);
            if (code != 0)
            {
                throw new HandshakeException($"mqtt-connack-{code}", retry: code == 3);
            }

            return;
        }
    }

    protected override int Process(byte[] buffer, int length, long now)
    {
        var consumed = 0;
        while (TryPacket(buffer.AsSpan(consumed, length - consumed), out var type, out var packetLength, out _))
        {
            if ((type & 0xF0) == PingResp)
            {
                Context.Stats.OnHeartbeatAnswered();
            }

            consumed += packetLength;
        }

        return consumed;
    }

    protected override void SendHeartbeat(long now)
    {
        Send(PingReq);
        Context.Stats.OnHeartbeatSent();
    }

    protected override void WriteGoodbyeLocked() => AppendLocked(Disconnect);

    /// <summary>Reads a fixed header: type byte, variable-length remaining length; false until the whole packet is there.</summary>
    private static bool TryPacket(ReadOnlySpan<byte> data, out byte type, out int packetLength, out int bodyOffset)
    {
        type = 0;
        packetLength = 0;
        bodyOffset = 0;
        if (data.Length < 2)
        {
            return false;
        }

        type = data[0];
        var remaining = 0;
        var shift = 0;
        var index = 1;
        while (true)
        {
            if (index >= data.Length)
            {
                return false;
            }

            if (index > 4)
            {
                throw new HandshakeException("mqtt-malformed-length", retry: false);
            }

            var digit = data[index++];
            remaining |= (digit & 0x7F) << shift;
            shift += 7;
            if ((digit & 0x80) == 0)
            {
                break;
            }
        }

        bodyOffset = index;
        packetLength = index + remaining;
        return data.Length >= packetLength;
    }

    private static byte[] EncodeConnect(string clientId, ushort keepAlive)
    {
        var id = Encoding.UTF8.GetBytes(clientId);
        var remaining = 10 + 2 + id.Length;
        var packet = new byte[2 + remaining];
        packet[0] = 0x10;
        packet[1] = (byte)remaining;
        var body = packet.AsSpan(2);
        "\0\u0004MQTT"u8.CopyTo(body);
        body[6] = 4;
        body[7] = 0x02;
        BinaryPrimitives.WriteUInt16BigEndian(body[8..], keepAlive);
        BinaryPrimitives.WriteUInt16BigEndian(body[10..], (ushort)id.Length);
        id.CopyTo(body[12..]);
        return packet;
    }
}
