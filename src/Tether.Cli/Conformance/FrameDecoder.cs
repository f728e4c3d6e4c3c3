using System.Buffers;
using System.Text;
using Tether.Protocol;

namespace Tether.Cli.Conformance;

/// <summary>Decodes a received frame into the field names scenarios match on, with Tether.Protocol's validation.</summary>
internal static class FrameDecoder
{
    public static ReceivedItem Decode(long timestamp, byte[] encoded)
    {
        try
        {
            var sequence = new ReadOnlySequence<byte>(encoded);
            if (!FrameHeader.TryRead(sequence, int.MaxValue, out _))
            {
                return new MalformedFrame(timestamp, "truncated header");
            }

            var frame = TetherFrame.Parse(sequence);
            return new ReceivedFrame(timestamp, FrameNames.Of((byte)frame.Type), Fields(frame));
        }
        catch (TetherProtocolException ex)
        {
            return new MalformedFrame(timestamp, $"type 0x{encoded[0]:x2}: {ex.Message}");
        }
    }

    private static Dictionary<string, object?> Fields(TetherFrame frame)
    {
        var fields = new Dictionary<string, object?>(StringComparer.Ordinal) { ["flags"] = (decimal)frame.Flags };
        switch (frame.Type)
        {
            case FrameType.Hello:
                var hello = HelloFrame.Parse(frame);
                fields["minVersion"] = (decimal)hello.MinVersion;
                fields["maxVersion"] = (decimal)hello.MaxVersion;
                fields["heartbeatIntervalMs"] = (decimal)hello.HeartbeatIntervalMs;
                fields["heartbeatTimeoutMs"] = (decimal)hello.HeartbeatTimeoutMs;
                fields["maxFrameSize"] = (decimal)hello.MaxFrameSize;
                fields["session"] = (frame.Flags & (byte)HelloFlags.Session) != 0;
                fields["resume"] = (frame.Flags & (byte)HelloFlags.Resume) != 0;
                fields["sessionId"] = hello.ResumeSessionId.ToString();
                fields["lastReceivedSeq"] = (decimal)hello.LastReceivedSequence;
                fields["clientId"] = hello.ClientId;
                fields["token"] = Encoding.UTF8.GetString(hello.Token.Span);
                break;
            case FrameType.Welcome:
                var welcome = WelcomeFrame.Parse(frame);
                fields["version"] = (decimal)welcome.Version;
                fields["heartbeatIntervalMs"] = (decimal)welcome.HeartbeatIntervalMs;
                fields["heartbeatTimeoutMs"] = (decimal)welcome.HeartbeatTimeoutMs;
                fields["maxFrameSize"] = (decimal)welcome.MaxFrameSize;
                fields["connectionId"] = (decimal)welcome.ConnectionId;
                fields["session"] = welcome.SessionActive;
                fields["resumed"] = welcome.Resumed;
                fields["sessionId"] = welcome.SessionId.ToString();
                fields["lastReceivedSeq"] = (decimal)welcome.LastReceivedSequence;
                fields["sessionResetReason"] = (decimal)(ushort)welcome.SessionResetReason;
                fields["lostCount"] = (decimal)welcome.LostCount;
                fields["serverId"] = welcome.ServerId;
                break;
            case FrameType.Data:
                var data = DataFrame.Parse(frame);
                var payload = data.Payload.ToArray();
                fields["seq"] = data.HasSequence ? (decimal)data.Sequence : null;
                fields["ack"] = data.HasAck ? (decimal)data.Ack : null;
                fields["data"] = Encoding.UTF8.GetString(payload);
                fields["dataHex"] = Convert.ToHexStringLower(payload);
                fields["size"] = (decimal)payload.Length;
                break;
            case FrameType.Ack:
                fields["ack"] = (decimal)frame.ReadUInt64Body();
                break;
            case FrameType.Ping or FrameType.Pong:
                fields["value"] = (decimal)frame.ReadUInt64Body();
                break;
            case FrameType.GoAway:
                var goAway = GoAwayFrame.Parse(frame);
                fields["retryAfterMs"] = (decimal)goAway.RetryAfterMs;
                fields["drainMs"] = (decimal)goAway.DrainMs;
                fields["reason"] = goAway.Reason;
                fields["alternateEndpoints"] = Alternates(goAway.Extensions);
                break;
            case FrameType.Close:
                var close = CloseFrame.Parse(frame);
                fields["code"] = (decimal)(ushort)close.Code;
                fields["retryAfterMs"] = (decimal)close.RetryAfterMs;
                fields["reason"] = close.Reason;
                fields["alternateEndpoints"] = Alternates(close.Extensions);
                break;
            default:
                fields["bodyHex"] = Convert.ToHexStringLower(frame.Body.ToArray());
                break;
        }

        return fields;
    }

    private static List<string> Alternates(IReadOnlyList<ExtensionItem> extensions) =>
        extensions.Where(e => e.Key == ProtocolConstants.AlternateEndpointExtension).Select(e => Encoding.UTF8.GetString(e.Value.Span)).ToList();
}
