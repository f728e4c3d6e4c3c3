using System.Buffers;
using Tether.Protocol;

namespace Tether.Fuzz.Engine;

/// <summary>Random valid Tether frames of every type, the typed ones with their optional fields and extensions.</summary>
internal static class TetherStreamGenerator
{
    // Small enough that a stream holds many frames; the length-field mutations supply the large values.
    private const int MaxText = 48;
    private const int MaxOpaque = 64;

    public static FuzzSample Generate(Random random, int maxSize, int maxBody)
    {
        var output = new ArrayBufferWriter<byte>();
        var messages = new List<byte[]>();
        var ends = new List<int>();
        var fields = new List<LengthField>();
        while (output.WrittenCount < maxSize && random.Next(16) != 0)
        {
            var start = output.WrittenCount;
            WriteFrame(output, random, Math.Min(maxBody, maxSize - start) - 32);
            messages.Add(output.WrittenSpan[start..].ToArray());
            ends.Add(output.WrittenCount);
            fields.AddRange(TetherLengthFields.Of(output.WrittenSpan, start, maxBody));
        }

        return new FuzzSample(output.WrittenSpan.ToArray(), messages, ends, fields);
    }

    private static void WriteFrame(ArrayBufferWriter<byte> output, Random random, int room)
    {
        switch (random.Next(12))
        {
            case 0 or 1:
                Hello(random).Write(output);
                break;
            case 2 or 3:
                Welcome(random).Write(output);
                break;
            case 4:
                new CloseFrame
                {
                    Code = (CloseCode)random.Next(ushort.MaxValue + 1),
                    RetryAfterMs = RandomValues.UInt32(random),
                    Reason = RandomValues.Text(random, MaxText),
                    Extensions = Extensions(random),
                }.Write(output);
                break;
            case 5:
                new GoAwayFrame
                {
                    RetryAfterMs = RandomValues.UInt32(random),
                    DrainMs = RandomValues.UInt32(random),
                    Reason = RandomValues.Text(random, MaxText),
                    Extensions = Extensions(random),
                }.Write(output);
                break;
            case 6:
                var type = new[] { FrameType.Ack, FrameType.Ping, FrameType.Pong }[random.Next(3)];
                FrameWriter.WriteUInt64Frame(output.GetSpan(FrameWriter.UInt64FrameLength), type, RandomValues.UInt64(random));
                output.Advance(FrameWriter.UInt64FrameLength);
                break;
            case 7:
                var extensionType = (byte)random.Next(ProtocolConstants.FirstExtensionFrameType, ProtocolConstants.LastExtensionFrameType + 1);
                FrameWriter.WriteExtension(output, extensionType, (byte)random.Next(256), RandomValues.Bytes(random, RandomValues.Length(random, MaxOpaque)));
                break;
            default:
                var flags = (DataFlags)random.Next(4);
                var payload = RandomValues.Bytes(random, RandomValues.Length(random, Math.Max(0, room)));
                FrameWriter.WriteData(output, payload, flags, RandomValues.UInt64(random), RandomValues.UInt64(random));
                break;
        }
    }

    private static HelloFrame Hello(Random random)
    {
        var minVersion = (byte)random.Next(1, 256);
        var resume = random.Next(3) == 0;
        return new HelloFrame
        {
            MinVersion = minVersion,
            MaxVersion = (byte)random.Next(minVersion, 256),
            HeartbeatIntervalMs = RandomValues.UInt32(random),
            HeartbeatTimeoutMs = RandomValues.UInt32(random),
            MaxFrameSize = Math.Max(ProtocolConstants.MinMaxFrameSize, RandomValues.UInt32(random)),
            RequestSession = random.Next(2) == 0,
            ResumeSessionId = resume ? new SessionId(RandomValues.UInt64(random), RandomValues.UInt64(random) | 1) : SessionId.None,
            LastReceivedSequence = resume ? RandomValues.UInt64(random) : 0,
            ClientId = RandomValues.Text(random, MaxText),
            Token = RandomValues.Bytes(random, RandomValues.Length(random, MaxOpaque)),
            Extensions = Extensions(random),
        };
    }

    private static WelcomeFrame Welcome(Random random)
    {
        var session = random.Next(2) == 0;
        var resumed = session && random.Next(2) == 0;
        return new WelcomeFrame
        {
            Version = (byte)random.Next(1, 256),
            HeartbeatIntervalMs = Math.Max(1, RandomValues.UInt32(random)),
            HeartbeatTimeoutMs = Math.Max(1, RandomValues.UInt32(random)),
            MaxFrameSize = Math.Max(ProtocolConstants.MinMaxFrameSize, RandomValues.UInt32(random)),
            ConnectionId = RandomValues.UInt64(random),
            SessionActive = session,
            Resumed = resumed,
            SessionId = session ? new SessionId(RandomValues.UInt64(random), RandomValues.UInt64(random) | 1) : SessionId.None,
            LastReceivedSequence = RandomValues.UInt64(random),
            SessionResetReason = resumed ? SessionResetReason.None : (SessionResetReason)random.Next(ushort.MaxValue + 1),
            LostCount = RandomValues.UInt32(random),
            ServerId = RandomValues.Text(random, MaxText),
            Extensions = Extensions(random),
        };
    }

    private static ExtensionItem[] Extensions(Random random) =>
        [.. Enumerable.Range(0, random.Next(3)).Select(_ => new ExtensionItem((ushort)random.Next(ushort.MaxValue + 1), RandomValues.Bytes(random, RandomValues.Length(random, 16))))];
}
