using System.Text;
using Tether.Protocol.Tests.Support;

namespace Tether.Protocol.Tests;

/// <summary>Every frame type, written by the library and read back, with representative and edge values.</summary>
public sealed class RoundTripTests
{
    public static TheoryData<string> SampleNames => [.. Samples.All.Select(sample => sample.Name)];

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Written_frame_decodes_to_the_same_fields(string name)
    {
        var sample = Samples.Get(name);

        var frame = Frames.ReadSingle(sample.Bytes, sample.MaxBody);

        Assert.Equal(sample.BodyLength, frame.Header.BodyLength);
        Assert.Equal(sample.Expected, FrameText.Describe(frame));
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Decoded_frame_encodes_back_to_the_same_bytes(string name)
    {
        var sample = Samples.Get(name);

        var reencoded = Frames.Reencode(Frames.ReadSingle(sample.Bytes, sample.MaxBody));

        Assert.True(sample.Bytes.AsSpan().SequenceEqual(reencoded), $"{name}: re-encoding changed the bytes");
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Written_frame_decodes_the_same_from_random_segments(string name)
    {
        var sample = Samples.Get(name);
        var random = new Random(name.Length);
        var maxChunk = Math.Max(8, sample.Bytes.Length / 16);

        var frame = Frames.ReadSingle(Sequences.Segmented(Sequences.RandomChunks(sample.Bytes, random, maxChunk)), sample.MaxBody);

        Assert.Equal(sample.Expected, FrameText.Describe(frame));
    }

    [Fact]
    public void Hello_that_is_not_resuming_writes_zero_session_fields()
    {
        var hello = new HelloFrame { RequestSession = true, LastReceivedSequence = 99 };

        var decoded = HelloFrame.Parse(Frames.ReadSingle(Frames.Write(hello.Write), Frames.HandshakeMax));

        Assert.Equal(HelloFlags.Session, hello.Flags);
        Assert.True(decoded.RequestSession);
        Assert.False(decoded.IsResume);
        Assert.Equal(0UL, decoded.LastReceivedSequence);
    }

    [Fact]
    public void Hello_with_a_session_id_is_written_as_a_resume_even_without_request_session()
    {
        var hello = new HelloFrame { ResumeSessionId = Samples.SomeSession, LastReceivedSequence = 41 };

        var decoded = HelloFrame.Parse(Frames.ReadSingle(Frames.Write(hello.Write), Frames.HandshakeMax));

        Assert.Equal(HelloFlags.Session | HelloFlags.Resume, hello.Flags);
        Assert.True(decoded.RequestSession);
        Assert.Equal(Samples.SomeSession, decoded.ResumeSessionId);
        Assert.Equal(41UL, decoded.LastReceivedSequence);
    }

    [Fact]
    public void Hello_receiver_ignores_session_fields_without_resume()
    {
        // Spec 2.4: without RESUME the receiver ignores sessionId and lastReceivedSeq, and a non-zero value is no error.
        var bytes = Frames.Write(new HelloFrame { RequestSession = true }.Write);
        Samples.SomeSession.Write(bytes.AsSpan(ProtocolConstants.HeaderSize + 18));
        bytes[ProtocolConstants.HeaderSize + 41] = 7;

        var decoded = HelloFrame.Parse(Frames.ReadSingle(bytes, Frames.HandshakeMax));

        Assert.False(decoded.IsResume);
        Assert.Equal(SessionId.None, decoded.ResumeSessionId);
        Assert.Equal(0UL, decoded.LastReceivedSequence);
    }

    [Fact]
    public void Welcome_receiver_accepts_non_zero_fields_that_have_no_meaning()
    {
        // Spec 2.4 / appendix A.2: lostCount without a reset (and session fields without SESSION) are ignored, not errors.
        var welcome = new WelcomeFrame { HeartbeatIntervalMs = 1, HeartbeatTimeoutMs = 2, SessionId = Samples.SomeSession, LastReceivedSequence = 3, LostCount = 4 };

        var decoded = WelcomeFrame.Parse(Frames.ReadSingle(Frames.Write(welcome.Write), Frames.HandshakeMax));

        Assert.False(decoded.SessionActive);
        Assert.Equal(4U, decoded.LostCount);
    }

    [Theory]
    [InlineData(257)]
    [InlineData(1000)]
    public void Hello_writer_refuses_a_client_id_over_256_bytes(int length)
    {
        var hello = new HelloFrame { ClientId = new string('c', length) };

        Assert.Throws<ArgumentException>(() => Frames.Write(hello.Write));
    }

    [Fact]
    public void Hello_writer_counts_client_id_bytes_not_characters()
    {
        // 129 two-byte characters are 258 bytes: over the limit although only 129 characters long.
        var hello = new HelloFrame { ClientId = new string('\u00e9', 129) };

        Assert.Throws<ArgumentException>(() => Frames.Write(hello.Write));
    }

    [Fact]
    public void Hello_writer_refuses_a_token_over_4096_bytes()
    {
        var hello = new HelloFrame { Token = new byte[ProtocolConstants.MaxTokenBytes + 1] };

        Assert.Throws<ArgumentException>(() => Frames.Write(hello.Write));
    }

    [Fact]
    public void Writers_refuse_an_extension_value_over_65535_bytes()
    {
        ExtensionItem[] items = [new(1, new byte[ushort.MaxValue + 1])];

        Assert.Throws<ArgumentException>(() => Frames.Write(new CloseFrame { Extensions = items }.Write));
        Assert.Throws<ArgumentException>(() => Frames.Write(new GoAwayFrame { Extensions = items }.Write));
        Assert.Throws<ArgumentException>(() => Frames.Write(new HelloFrame { Extensions = items }.Write));
    }

    [Fact]
    public void Welcome_writer_never_produces_a_server_id_over_256_bytes()
    {
        var welcome = new WelcomeFrame { HeartbeatIntervalMs = 1, HeartbeatTimeoutMs = 1, ServerId = "a" + new string('\u00e9', 200) };

        var decoded = WelcomeFrame.Parse(Frames.ReadSingle(Frames.Write(welcome.Write), Frames.HandshakeMax));

        Assert.True(Encoding.UTF8.GetByteCount(decoded.ServerId) <= ProtocolConstants.MaxIdBytes);
        Assert.StartsWith(decoded.ServerId, welcome.ServerId, StringComparison.Ordinal);
    }

    [Fact]
    public void Reason_over_1024_bytes_is_truncated_without_splitting_a_character()
    {
        // 1 + 2 * 512 = 1025 bytes; the cut must fall before the last two-byte character, leaving 1023 bytes.
        var reason = "a" + new string('\u00e9', 512);

        var close = CloseFrame.Parse(Frames.ReadSingle(Frames.Write(new CloseFrame { Reason = reason }.Write), Frames.DefaultMax));
        var goAway = GoAwayFrame.Parse(Frames.ReadSingle(Frames.Write(new GoAwayFrame { Reason = reason }.Write), Frames.DefaultMax));

        Assert.Equal(reason[..^1], close.Reason);
        Assert.Equal(reason[..^1], goAway.Reason);
    }

    [Fact]
    public void Reason_truncation_keeps_surrogate_pairs_whole()
    {
        // 1023 ASCII bytes, then a 4-byte emoji that does not fit in the remaining byte.
        var reason = new string('r', 1023) + "\U0001F600";

        var close = CloseFrame.Parse(Frames.ReadSingle(Frames.Write(new CloseFrame { Reason = reason }.Write), Frames.DefaultMax));

        Assert.Equal(new string('r', 1023), close.Reason);
    }

    [Fact]
    public void Reason_truncation_counts_an_unpaired_surrogate_as_three_bytes()
    {
        // 1021 + 3 (U+FFFD for the lone high surrogate) = 1024 bytes fit; the following 4-byte pair does not.
        var reason = new string('r', 1021) + "\ud800" + "\ud83d\ude00";

        var close = CloseFrame.Parse(Frames.ReadSingle(Frames.Write(new CloseFrame { Reason = reason }.Write), Frames.DefaultMax));

        Assert.Equal(new string('r', 1021) + "\ufffd", close.Reason);
    }

    /// <summary>
    /// Ill-formed UTF-16 cannot travel as theory data: xUnit's serialization of test cases turns unpaired surrogates into
    /// U+FFFD before the test sees them. The cases are therefore passed by index.
    /// </summary>
    private static readonly string[] IllFormedUtf16 =
    [
        "\ud800",
        "a\udc00b",
        "x\ud83d",
        "\ud800\ud800\udc00",
        "\udc00\ud800",
        "ok \ud83d\ude00 \ud83d then more",
        "\ud83d\ud83d\ude00\ud83d",
    ];

    public static TheoryData<int> IllFormedUtf16Cases => [.. Enumerable.Range(0, IllFormedUtf16.Length)];

    [Theory]
    [MemberData(nameof(IllFormedUtf16Cases))]
    public void Strings_with_unpaired_surrogates_are_written_as_replacement_characters(int index)
    {
        // .NET strings can hold unpaired surrogates; UTF-8 cannot. The writer encodes them as U+FFFD (like
        // Encoding.UTF8), and the frame must stay well-formed: the length prefix matches the bytes written and
        // everything after the string (here an extension item) stays in place.
        var text = IllFormedUtf16[index];
        var expected = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));
        Assert.NotEqual(text, expected);
        var trailer = new ExtensionItem(0x8001, new byte[] { 0xAB, 0xCD });

        var hello = HelloFrame.Parse(Frames.ReadSingle(Frames.Write(new HelloFrame { ClientId = text, Extensions = [trailer] }.Write), Frames.HandshakeMax));
        var welcome = WelcomeFrame.Parse(Frames.ReadSingle(Frames.Write(new WelcomeFrame { HeartbeatIntervalMs = 1, HeartbeatTimeoutMs = 1, ServerId = text, Extensions = [trailer] }.Write), Frames.HandshakeMax));
        var goAway = GoAwayFrame.Parse(Frames.ReadSingle(Frames.Write(new GoAwayFrame { Reason = text, Extensions = [trailer] }.Write), Frames.DefaultMax));
        var close = CloseFrame.Parse(Frames.ReadSingle(Frames.Write(new CloseFrame { Reason = text, Extensions = [trailer] }.Write), Frames.DefaultMax));

        Assert.Equal(expected, hello.ClientId);
        Assert.Equal(expected, welcome.ServerId);
        Assert.Equal(expected, goAway.Reason);
        Assert.Equal(expected, close.Reason);
        Assert.All([hello.Extensions, welcome.Extensions, goAway.Extensions, close.Extensions], items =>
            Assert.Equal("abcd", Convert.ToHexStringLower(Assert.Single(items).Value.Span)));
    }
}
