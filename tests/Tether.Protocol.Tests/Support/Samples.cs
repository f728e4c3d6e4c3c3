using System.Text;

namespace Tether.Protocol.Tests.Support;

/// <summary>A frame written by the library, with the description it must decode to.</summary>
internal sealed record Sample(string Name, byte[] Bytes, IReadOnlyList<string> Expected)
{
    public int MaxBody => Frames.MaxBodyFor(Bytes[0]);

    public int BodyLength => Bytes.Length - ProtocolConstants.HeaderSize;

    public override string ToString() => Name;
}

/// <summary>Representative and edge-value frames of every type, built with the library's writers.</summary>
internal static class Samples
{
    public const string Unicode = "h\u00e9llo \u2713 \u043f\u0440\u0438\u0432\u0435\u0442 \U0001F600";

    public static readonly SessionId SomeSession = SessionId.Parse("00112233445566778899aabbccddeeff");

    public static readonly SessionId AllOnes = new(ulong.MaxValue, ulong.MaxValue);

    public static IReadOnlyList<Sample> All { get; } = [.. Hellos(), .. Welcomes(), .. Data(), .. UInt64Frames(), .. GoAways(), .. Closes(), .. Extensions()];

    public static Sample Get(string name) => All.Single(sample => sample.Name == name);

    /// <summary>Deterministic bytes 0, 1, 2, ... (mod 251, so no period lines up with a power of two).</summary>
    public static byte[] Pattern(int length, int seed = 0) => [.. Enumerable.Range(seed, length).Select(i => (byte)(i % 251))];

    public static ExtensionItem[] ManyExtensions(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new ExtensionItem((ushort)(i * 331 % 65536), Pattern(i % 17, i)))];

    public static Sample Of(string name, HelloFrame hello) => new(name, Frames.Write(hello.Write), FrameText.Describe(hello));

    public static Sample Of(string name, WelcomeFrame welcome) => new(name, Frames.Write(welcome.Write), FrameText.Describe(welcome));

    public static Sample Of(string name, GoAwayFrame goAway) => new(name, Frames.Write(goAway.Write), FrameText.Describe(goAway));

    public static Sample Of(string name, CloseFrame close) => new(name, Frames.Write(close.Write), FrameText.Describe(close));

    public static Sample OfData(string name, DataFlags flags, ulong sequence, ulong ack, byte[] payload) => new(
        name,
        Frames.Write(output => FrameWriter.WriteData(output, payload, flags, sequence, ack)),
        FrameText.Data((byte)flags, flags.HasFlag(DataFlags.Sequence) ? sequence : null, flags.HasFlag(DataFlags.Ack) ? ack : null, payload));

    private static IEnumerable<Sample> Hellos()
    {
        yield return Of("hello-defaults", new HelloFrame());
        yield return Of("hello-session-unicode-client-id", new HelloFrame { RequestSession = true, ClientId = Unicode, Token = Pattern(8) });
        yield return Of("hello-client-id-256-ascii", new HelloFrame { ClientId = new string('c', 256) });
        yield return Of("hello-client-id-256-bytes-of-emoji", new HelloFrame { ClientId = string.Concat(Enumerable.Repeat("\U0001F600", 64)) });
        yield return Of("hello-token-4096", new HelloFrame { Token = Pattern(4096) });
        yield return Of("hello-resume-max-values", new HelloFrame
        {
            MinVersion = 1,
            MaxVersion = byte.MaxValue,
            HeartbeatIntervalMs = uint.MaxValue,
            HeartbeatTimeoutMs = uint.MaxValue,
            MaxFrameSize = uint.MaxValue,
            ResumeSessionId = AllOnes,
            LastReceivedSequence = ulong.MaxValue,
        });
        yield return Of("hello-min-max-frame-size-1024", new HelloFrame { MaxFrameSize = ProtocolConstants.MinMaxFrameSize, MinVersion = 7, MaxVersion = 7 });
        yield return Of("hello-many-extensions", new HelloFrame { RequestSession = true, ResumeSessionId = SomeSession, Extensions = ManyExtensions(200) });

        // Every variable field at its maximum, padded with one extension so the body is exactly the 8192-byte handshake limit.
        var full = new HelloFrame { ClientId = new string('i', 256), Token = Pattern(4096) };
        var padding = ProtocolConstants.HandshakeMaxBodySize - (Frames.Write(full.Write).Length - ProtocolConstants.HeaderSize) - 4;
        yield return Of("hello-body-exactly-8192", full with { Extensions = [new ExtensionItem(0x8000, Pattern(padding))] });
    }

    private static IEnumerable<Sample> Welcomes()
    {
        var basic = new WelcomeFrame { HeartbeatIntervalMs = 30_000, HeartbeatTimeoutMs = 75_000, ServerId = "node-a" };
        yield return Of("welcome-no-session", basic);
        yield return Of("welcome-empty-server-id", basic with { ServerId = string.Empty });
        yield return Of("welcome-new-session", basic with { SessionActive = true, SessionId = SomeSession, ConnectionId = 2 });
        yield return Of("welcome-resumed-max-values", new WelcomeFrame
        {
            Version = byte.MaxValue,
            HeartbeatIntervalMs = 1,
            HeartbeatTimeoutMs = uint.MaxValue,
            MaxFrameSize = uint.MaxValue,
            ConnectionId = ulong.MaxValue,
            SessionActive = true,
            Resumed = true,
            SessionId = AllOnes,
            LastReceivedSequence = ulong.MaxValue,
        });
        yield return Of("welcome-reset-unknown-reason-value", basic with
        {
            SessionActive = true,
            SessionId = SomeSession,
            SessionResetReason = (SessionResetReason)ushort.MaxValue,
            LostCount = ProtocolConstants.UnknownLostCount,
        });
        yield return Of("welcome-server-id-256-bytes-unicode", basic with { ServerId = string.Concat(Enumerable.Repeat("\u00e9", 128)) });
        yield return Of("welcome-many-extensions", basic with { ServerId = Unicode, Extensions = ManyExtensions(100) });
    }

    private static IEnumerable<Sample> Data()
    {
        const DataFlags Both = DataFlags.Sequence | DataFlags.Ack;
        yield return OfData("data-empty", DataFlags.None, 0, 0, []);
        yield return OfData("data-one-byte", DataFlags.None, 0, 0, [0x00]);
        yield return OfData("data-unicode", DataFlags.None, 0, 0, Encoding.UTF8.GetBytes(Unicode));
        yield return OfData("data-seq-empty", DataFlags.Sequence, 1, 0, []);
        yield return OfData("data-ack-only", DataFlags.Ack, 0, 17, Pattern(5));
        yield return OfData("data-seq-ack-max", Both, ulong.MaxValue, ulong.MaxValue, Pattern(3));
        yield return OfData("data-seq-ack-zero", Both, 0, 0, []);
        yield return OfData("data-64k", DataFlags.Sequence, 42, 0, Pattern(65_536));
        yield return OfData("data-body-exactly-1mib-seq-ack", Both, 1, 2, Pattern(Frames.DefaultMax - 16));
        yield return OfData("data-payload-exactly-1mib", DataFlags.None, 0, 0, Pattern(Frames.DefaultMax, 7));
    }

    private static IEnumerable<Sample> UInt64Frames()
    {
        ulong[] values = [0, 1, 0x0102030405060708, ulong.MaxValue];
        foreach (var value in values)
        {
            yield return new($"ack-{value}", Frames.Write(output => FrameWriter.WriteAck(output, value)), FrameText.UInt64Frame(FrameType.Ack, value));
            yield return new($"ping-{value}", Frames.Write(output => FrameWriter.WritePing(output, value)), FrameText.UInt64Frame(FrameType.Ping, value));
            yield return new($"pong-{value}", Frames.Write(output => FrameWriter.WritePong(output, value)), FrameText.UInt64Frame(FrameType.Pong, value));
        }
    }

    private static IEnumerable<Sample> GoAways()
    {
        yield return Of("goaway-empty", new GoAwayFrame());
        yield return Of("goaway-max-values-unicode", new GoAwayFrame { RetryAfterMs = uint.MaxValue, DrainMs = uint.MaxValue, Reason = Unicode });
        yield return Of("goaway-reason-1024-bytes", new GoAwayFrame { Reason = new string('r', ProtocolConstants.MaxReasonBytes) });
        yield return Of("goaway-alternate-endpoints", new GoAwayFrame
        {
            RetryAfterMs = 5000,
            DrainMs = 30_000,
            Reason = "server restarting",
            Extensions =
            [
                Endpoint("10.0.0.2:7447"),
                Endpoint("[2001:db8::1]:7447"),
                Endpoint("backup.example.com:7447"),
                new ExtensionItem(0x8000, ReadOnlyMemory<byte>.Empty),
            ],
        });
        yield return Of("goaway-extension-value-65535", new GoAwayFrame { Extensions = [new ExtensionItem(0xFFFF, Pattern(ushort.MaxValue))] });
    }

    private static IEnumerable<Sample> Closes()
    {
        yield return Of("close-default", new CloseFrame());
        foreach (var code in Enum.GetValues<CloseCode>())
        {
            yield return Of($"close-{code.ToEventName()}", new CloseFrame { Code = code, Reason = code.ToWireName() });
        }

        ushort[] otherCodes = [0, 1999, 4000, 4499, 4500, 4999, ushort.MaxValue];
        foreach (var code in otherCodes)
        {
            yield return Of($"close-code-{code}", new CloseFrame { Code = (CloseCode)code, RetryAfterMs = code });
        }

        yield return Of("close-max-retry-unicode-extensions", new CloseFrame
        {
            Code = CloseCode.GoingAway,
            RetryAfterMs = uint.MaxValue,
            Reason = Unicode,
            Extensions = [Endpoint("10.0.0.3:7447"), .. ManyExtensions(50)],
        });
    }

    private static IEnumerable<Sample> Extensions()
    {
        yield return new("extension-0x40-empty", Frames.Write(output => FrameWriter.WriteExtension(output, 0x40, 0, [])), FrameText.Extension(0x40, 0, []));
        yield return new("extension-0x7f-all-flags", Frames.Write(output => FrameWriter.WriteExtension(output, 0x7F, 0xFF, Pattern(3))), FrameText.Extension(0x7F, 0xFF, Pattern(3)));
        yield return new("extension-0x55-5000-bytes", Frames.Write(output => FrameWriter.WriteExtension(output, 0x55, 0x81, Pattern(5000))), FrameText.Extension(0x55, 0x81, Pattern(5000)));
    }

    private static ExtensionItem Endpoint(string hostAndPort) =>
        new(ProtocolConstants.AlternateEndpointExtension, Encoding.UTF8.GetBytes(hostAndPort));
}
