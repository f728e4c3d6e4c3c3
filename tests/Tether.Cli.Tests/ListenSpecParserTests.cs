using System.Text;
using Tether.Cli.Parsing;
using Tether.Framing;

namespace Tether.Cli.Tests;

public class ListenSpecParserTests
{
    private const string LineKeys = "idle-timeout, probe, probe-interval, ping, pong, max-length, tls";

    [Theory]
    [InlineData("127.0.0.1:7447", "127.0.0.1:7447")]
    [InlineData("tether@127.0.0.1:7447", "127.0.0.1:7447")]
    [InlineData("TETHER@[::1]:7447", "[::1]:7447")]
    [InlineData("tether@:0", "0.0.0.0:0")]
    [InlineData(" localhost:9000 ", "127.0.0.1:9000")]
    public void An_address_alone_or_with_tether_is_the_tether_protocol(string text, string expected)
    {
        var spec = Parse(text);
        Assert.Equal(expected, spec.EndPoint.ToString());
        Assert.Null(spec.Framing);
        AssertNoLivenessSettings(spec);
        Assert.Equal("tether", spec.ToListenerOptions().FramingName);
    }

    [Theory]
    [InlineData("lines@127.0.0.1:0", "127.0.0.1:0", "lines")]
    [InlineData("Lines@[::1]:7448", "[::1]:7448", "lines")]
    [InlineData("length-prefixed@:9000", "0.0.0.0:9000", "length-prefixed")]
    [InlineData("raw@localhost:8888", "127.0.0.1:8888", "raw")]
    [InlineData("RAW@[::]:1", "[::]:1", "raw")]
    public void A_framing_prefix_selects_a_plain_framing_with_defaults(string text, string endPoint, string framing)
    {
        var spec = Parse(text);
        Assert.Equal(endPoint, spec.EndPoint.ToString());
        Assert.Equal(framing, spec.Framing!.Name);
        AssertNoLivenessSettings(spec);
    }

    [Fact]
    public void Lines_default_to_8192_byte_lines()
    {
        Assert.Equal(LineFraming.DefaultMaxLineLength, Assert.IsType<LineFraming>(Parse("lines@127.0.0.1:0").Framing).MaxLineLength);
    }

    [Fact]
    public void Length_prefixed_defaults_to_a_u32_header_and_the_library_limit()
    {
        var framing = Assert.IsType<LengthPrefixedFraming>(Parse("length-prefixed@127.0.0.1:0").Framing);
        Assert.Equal(LengthPrefix.UInt32, framing.Prefix);
        Assert.Equal(new LengthPrefixedFraming().MaxMessageLength, framing.MaxMessageLength);
    }

    [Fact]
    public void Raw_is_the_shared_instance()
    {
        Assert.Same(RawFraming.Instance, Parse("raw@127.0.0.1:0").Framing);
    }

    [Theory]
    [InlineData("header=u16", LengthPrefix.UInt16, 65535)]
    [InlineData("header=U16", LengthPrefix.UInt16, 65535)]
    [InlineData("header=u32", LengthPrefix.UInt32, 1024 * 1024)]
    [InlineData("header=u16,max-length=100", LengthPrefix.UInt16, 100)]
    [InlineData("max-length=100,header=u16", LengthPrefix.UInt16, 100)]
    [InlineData("max-length=65535,header=u16", LengthPrefix.UInt16, 65535)]
    [InlineData("max-length=70000", LengthPrefix.UInt32, 70000)]
    [InlineData("header=u32,max-length=2147483643", LengthPrefix.UInt32, int.MaxValue - 4)]
    public void Length_prefixed_takes_header_and_max_length_in_any_order(string keys, LengthPrefix prefix, int maxLength)
    {
        var framing = Assert.IsType<LengthPrefixedFraming>(Parse($"length-prefixed@127.0.0.1:0,{keys}").Framing);
        Assert.Equal(prefix, framing.Prefix);
        Assert.Equal(maxLength, framing.MaxMessageLength);
    }

    [Theory]
    [InlineData("max-length=1", 1)]
    [InlineData("max-length=16", 16)]
    [InlineData("MAX-LENGTH=100000", 100000)]
    public void Lines_take_max_length(string key, int expected)
    {
        Assert.Equal(expected, Assert.IsType<LineFraming>(Parse($"lines@127.0.0.1:0,{key}").Framing).MaxLineLength);
    }

    [Theory]
    [InlineData("lines")]
    [InlineData("length-prefixed")]
    [InlineData("raw")]
    public void Idle_timeout_is_a_duration(string framing)
    {
        Assert.Equal(TimeSpan.FromSeconds(1), Parse($"{framing}@127.0.0.1:0,idle-timeout=1s").IdleTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), Parse($"{framing}@127.0.0.1:0,idle-timeout=1.5").IdleTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), Parse($"{framing}@127.0.0.1:0,Idle-Timeout=2m").IdleTimeout);
    }

    [Fact]
    public void A_bare_probe_sends_ping_at_the_default_interval()
    {
        var spec = Parse("lines@127.0.0.1:0,probe");
        Assert.Equal("PING", Text(spec.Probe));
        Assert.Null(spec.ProbeInterval);
        Assert.True(spec.Ping.IsEmpty);
    }

    [Fact]
    public void Probe_takes_a_text_and_an_interval()
    {
        var spec = Parse("lines@127.0.0.1:0,probe=are you there?,probe-interval=300ms,idle-timeout=5s");
        Assert.Equal("are you there?", Text(spec.Probe));
        Assert.Equal(TimeSpan.FromMilliseconds(300), spec.ProbeInterval);
        Assert.Equal(TimeSpan.FromSeconds(5), spec.IdleTimeout);
    }

    [Fact]
    public void Probe_text_is_unescaped_so_raw_can_end_it_with_a_newline()
    {
        Assert.Equal("PING\n", Text(Parse(@"raw@127.0.0.1:0,probe=PING\n").Probe));
        Assert.Equal("a,b=c", Text(Parse(@"length-prefixed@127.0.0.1:0,probe=a\x2cb=c").Probe));
        Assert.Equal("\t\\", Text(Parse(@"lines@127.0.0.1:0,probe=\t\\").Probe));
    }

    [Fact]
    public void A_bare_ping_is_ping_answered_by_pong()
    {
        var spec = Parse("lines@127.0.0.1:0,ping");
        Assert.Equal("PING", Text(spec.Ping));
        Assert.Equal("PONG", Text(spec.Pong));
        Assert.True(spec.Probe.IsEmpty);
    }

    [Theory]
    [InlineData("ping=HELLO,pong=WORLD", "HELLO", "WORLD")]
    [InlineData("pong=WORLD,ping=HELLO", "HELLO", "WORLD")]
    [InlineData("ping,pong=ACK", "PING", "ACK")]
    [InlineData("PING,Pong=pong", "PING", "pong")]
    [InlineData(@"ping=\x01,pong=\x02", "\u0001", "\u0002")]
    public void Ping_and_pong_take_texts(string keys, string ping, string pong)
    {
        var spec = Parse($"raw@127.0.0.1:0,{keys}");
        Assert.Equal(ping, Text(spec.Ping));
        Assert.Equal(pong, Text(spec.Pong));
    }

    [Fact]
    public void A_value_may_hold_equals_signs_and_at_signs()
    {
        var spec = Parse("lines@127.0.0.1:0,ping=a=b@c,pong=x@y");
        Assert.Equal("a=b@c", Text(spec.Ping));
        Assert.Equal("x@y", Text(spec.Pong));
    }

    [Fact]
    public void Every_key_together()
    {
        var spec = Parse(@"length-prefixed@[::1]:9000,header=u16,max-length=512,idle-timeout=2m,probe=hb\r\n,probe-interval=30s,ping=P,pong=Q");
        Assert.Equal("[::1]:9000", spec.EndPoint.ToString());
        var framing = Assert.IsType<LengthPrefixedFraming>(spec.Framing);
        Assert.Equal((LengthPrefix.UInt16, 512), (framing.Prefix, framing.MaxMessageLength));
        Assert.Equal(TimeSpan.FromMinutes(2), spec.IdleTimeout);
        Assert.Equal("hb\r\n", Text(spec.Probe));
        Assert.Equal(TimeSpan.FromSeconds(30), spec.ProbeInterval);
        Assert.Equal(("P", "Q"), (Text(spec.Ping), Text(spec.Pong)));

        var listener = spec.ToListenerOptions();
        Assert.Same(spec.EndPoint, listener.EndPoint);
        Assert.Same(spec.Framing, listener.Framing);
        Assert.Equal(spec.IdleTimeout, listener.IdleTimeout);
        Assert.Equal(spec.ProbeInterval, listener.ProbeInterval);
        Assert.Equal("hb\r\n", Text(listener.Probe));
        Assert.Equal(("P", "Q"), (Text(listener.PingMessage), Text(listener.PongMessage)));
        Assert.Equal("length-prefixed@[::1]:9000", listener.ToString());
    }

    [Fact]
    public void Each_call_builds_listener_options_of_its_own()
    {
        var spec = Parse("lines@127.0.0.1:0,ping");
        Assert.NotSame(spec.ToListenerOptions(), spec.ToListenerOptions());
    }

    [Theory]
    // Framing and address.
    [InlineData("bogus@1.2.3.4:5", "unknown framing 'bogus' (use tether, lines, length-prefixed or raw)")]
    [InlineData("line@127.0.0.1:0", "unknown framing 'line' (use tether, lines, length-prefixed or raw)")]
    [InlineData("@127.0.0.1:0", "'@127.0.0.1:0' has no framing before '@' (use tether, lines, length-prefixed or raw)")]
    [InlineData("lines@", "an address is required (HOST:PORT, e.g. 127.0.0.1:7447)")]
    [InlineData("", "an address is required (HOST:PORT, e.g. 127.0.0.1:7447)")]
    [InlineData(",ping", "an address is required (HOST:PORT, e.g. 127.0.0.1:7447)")]
    [InlineData("lines@example.com:1", "cannot listen on 'example.com': use an IP address, localhost, or :PORT for all interfaces")]
    [InlineData("lines@127.0.0.1:99999", "'127.0.0.1:99999' has an invalid port '99999' (0-65535)")]
    [InlineData("lines@::1:7447", "'::1:7447': put IPv6 addresses in brackets, e.g. [::1]:7447")]
    // Keys the framing does not take.
    [InlineData("lines@127.0.0.1:0,bogus", "unknown key 'bogus' for lines (valid: " + LineKeys + ")")]
    [InlineData("lines@127.0.0.1:0,timeout=1s", "unknown key 'timeout' for lines (valid: " + LineKeys + ")")]
    [InlineData("length-prefixed@127.0.0.1:0,size=4", "unknown key 'size' for length-prefixed (valid: idle-timeout, probe, probe-interval, ping, pong, max-length, header, tls)")]
    [InlineData("raw@127.0.0.1:0,bogus=1", "unknown key 'bogus' for raw (valid: idle-timeout, probe, probe-interval, ping, pong, tls)")]
    [InlineData("127.0.0.1:0,bogus", "unknown key 'bogus': tether listeners take only 'tls'")]
    [InlineData("127.0.0.1:0,ping", "'ping' is for plain listeners (lines, length-prefixed, raw); tether listeners take only 'tls' (their liveness is --heartbeat and --timeout)")]
    [InlineData("tether@127.0.0.1:0,IDLE-TIMEOUT=1s", "'idle-timeout' is for plain listeners (lines, length-prefixed, raw); tether listeners take only 'tls' (their liveness is --heartbeat and --timeout)")]
    [InlineData("tether@127.0.0.1:0,max-length=5", "'max-length' is for plain listeners (lines, length-prefixed, raw); tether listeners take only 'tls' (their liveness is --heartbeat and --timeout)")]
    [InlineData("raw@127.0.0.1:0,max-length=10", "'max-length' is not valid for raw: raw reads at most 4096 bytes per message")]
    [InlineData("lines@127.0.0.1:0,header=u16", "'header' is only valid for length-prefixed, not lines")]
    [InlineData("raw@127.0.0.1:0,header", "'header' is only valid for length-prefixed, not raw")]
    // Shape of the key list.
    [InlineData("lines@127.0.0.1:0,ping,ping", "'ping' is given twice")]
    [InlineData("lines@127.0.0.1:0,probe=A,PROBE=B", "'probe' is given twice")]
    [InlineData("lines@127.0.0.1:0,idle-timeout=1s,idle-timeout=2s", "'idle-timeout' is given twice")]
    [InlineData("lines@127.0.0.1:0,,ping", "empty key (a stray ',')")]
    [InlineData("lines@127.0.0.1:0,ping,", "empty key (a stray ',')")]
    [InlineData("lines@127.0.0.1:0,=5", "unknown key '' for lines (valid: " + LineKeys + ")")]
    // Durations.
    [InlineData("lines@127.0.0.1:0,idle-timeout", "'idle-timeout' needs a value, e.g. idle-timeout=30s")]
    [InlineData("lines@127.0.0.1:0,idle-timeout=", "idle-timeout: a duration is required (e.g. 250ms, 30s, 1.5s, 2m, 1h)")]
    [InlineData("lines@127.0.0.1:0,idle-timeout=abc", "idle-timeout: 'abc' is not a duration (e.g. 250ms, 30s, 1.5s, 2m, 1h)")]
    [InlineData("lines@127.0.0.1:0,idle-timeout=-1s", "idle-timeout: '-1s' is negative; durations must be zero or more")]
    [InlineData("lines@127.0.0.1:0,idle-timeout=0", "idle-timeout: must be more than zero")]
    [InlineData("lines@127.0.0.1:0,idle-timeout=1000h", "idle-timeout: '1000h' is too long (at most 2147483.647s)")]
    [InlineData("lines@127.0.0.1:0,probe,probe-interval", "'probe-interval' needs a value, e.g. probe-interval=30s")]
    [InlineData("lines@127.0.0.1:0,probe,probe-interval=1x", "probe-interval: '1x' is not a duration (e.g. 250ms, 30s, 1.5s, 2m, 1h)")]
    [InlineData("lines@127.0.0.1:0,probe,probe-interval=0ms", "probe-interval: must be more than zero")]
    [InlineData("lines@127.0.0.1:0,probe-interval=1s", "'probe-interval' needs 'probe': without a probe nothing is sent")]
    // Texts.
    [InlineData("lines@127.0.0.1:0,probe=", "'probe=' is empty (write 'probe' alone for PING)")]
    [InlineData(@"lines@127.0.0.1:0,probe=a\q", @"probe: 'a\q' has an unknown escape '\q' (escapes: \n, \r, \t, \\ or \xHH)")]
    [InlineData(@"raw@127.0.0.1:0,probe=PING\", @"probe: 'PING\' ends with a lone '\' (escapes: \n, \r, \t, \\ or \xHH)")]
    [InlineData(@"lines@127.0.0.1:0,probe=PING\n", @"probe: 'PING\n' contains a newline, which ends a line (lines adds one itself)")]
    [InlineData(@"lines@127.0.0.1:0,probe=A\x0aB", @"probe: 'A\x0aB' contains a newline, which ends a line (lines adds one itself)")]
    [InlineData(@"lines@127.0.0.1:0,probe=PING\r", @"probe: 'PING\r' ends with \r, which would be read as part of the line ending")]
    [InlineData("lines@127.0.0.1:0,ping=", "'ping=' is empty (write 'ping' alone for PING)")]
    [InlineData(@"lines@127.0.0.1:0,ping=A\nB,pong=C", @"ping: 'A\nB' contains a newline, which ends a line (lines adds one itself)")]
    [InlineData(@"lines@127.0.0.1:0,ping,pong=C\n", @"pong: 'C\n' contains a newline, which ends a line (lines adds one itself)")]
    [InlineData(@"lines@127.0.0.1:0,ping=\xG0,pong=C", @"ping: '\xG0': \x needs two hex digits, e.g. \x0a")]
    [InlineData("lines@127.0.0.1:0,ping,pong", "'pong' needs a value, e.g. pong=PONG")]
    [InlineData("lines@127.0.0.1:0,ping,pong=", "'pong=' is empty")]
    [InlineData("lines@127.0.0.1:0,pong=PONG", "'pong' needs 'ping': the pong is the answer to a ping")]
    [InlineData("raw@127.0.0.1:0,ping=HELLO", "'ping=HELLO' needs 'pong=TEXT', the answer to send")]
    [InlineData("raw@127.0.0.1:0,ping=X,pong=X", "'ping' and 'pong' are both 'X': the answer would be taken for a new ping")]
    [InlineData(@"raw@127.0.0.1:0,ping=X,pong=\x58", @"'ping' and 'pong' are both '\x58': the answer would be taken for a new ping")]
    // Lengths and headers.
    [InlineData("lines@127.0.0.1:0,max-length", "'max-length' needs a value, e.g. max-length=65536")]
    [InlineData("lines@127.0.0.1:0,max-length=abc", "max-length: 'abc' is not a whole number of bytes")]
    [InlineData("lines@127.0.0.1:0,max-length=-1", "max-length: '-1' is not a whole number of bytes")]
    [InlineData("lines@127.0.0.1:0,max-length=1k", "max-length: '1k' is not a whole number of bytes")]
    [InlineData("lines@127.0.0.1:0,max-length=", "max-length: '' is not a whole number of bytes")]
    [InlineData("lines@127.0.0.1:0,max-length=0", "max-length: must be at least 1, not 0")]
    [InlineData("lines@127.0.0.1:0,max-length=2147483646", "max-length: must be at most 2147483645, not 2147483646")]
    [InlineData("lines@127.0.0.1:0,max-length=99999999999", "max-length: must be at most 2147483645, not 99999999999")]
    [InlineData("length-prefixed@127.0.0.1:0,max-length=2147483644", "max-length: must be at most 2147483643, not 2147483644")]
    [InlineData("length-prefixed@127.0.0.1:0,header=u16,max-length=65536", "max-length: 65536 does not fit a u16 header (at most 65535; use header=u32)")]
    [InlineData("length-prefixed@127.0.0.1:0,max-length=70000,header=u16", "max-length: 70000 does not fit a u16 header (at most 65535; use header=u32)")]
    [InlineData("length-prefixed@127.0.0.1:0,header", "'header' needs a value: header=u16 or header=u32")]
    [InlineData("length-prefixed@127.0.0.1:0,header=u8", "header: 'u8' is not u16 or u32")]
    [InlineData("length-prefixed@127.0.0.1:0,header=", "header: '' is not u16 or u32")]
    public void Rejects_with_one_line_naming_the_offending_part(string text, string expected)
    {
        Assert.False(ListenSpecParser.TryParse(text, out var spec, out var error));
        Assert.Null(spec);
        Assert.Equal(expected, error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void A_text_too_long_for_a_u16_header_is_rejected()
    {
        var text = new string('a', 65536);
        Assert.False(ListenSpecParser.TryParse($"length-prefixed@127.0.0.1:0,header=u16,probe={text}", out _, out var error));
        Assert.Equal($"probe: '{text}' is 65536 bytes, more than a u16 header can express (65535)", error);
        Assert.True(ListenSpecParser.TryParse($"length-prefixed@127.0.0.1:0,probe={text}", out _, out _));
    }

    [Fact]
    public void The_first_error_does_not_depend_on_key_order()
    {
        Assert.False(ListenSpecParser.TryParse("length-prefixed@127.0.0.1:0,probe=,header=u8", out _, out var first));
        Assert.False(ListenSpecParser.TryParse("length-prefixed@127.0.0.1:0,header=u8,probe=", out _, out var second));
        Assert.Equal("header: 'u8' is not u16 or u32", first);
        Assert.Equal(first, second);
    }

    private static ListenSpec Parse(string text)
    {
        Assert.True(ListenSpecParser.TryParse(text, out var spec, out var error), error);
        Assert.Null(error);
        return spec;
    }

    private static void AssertNoLivenessSettings(ListenSpec spec)
    {
        Assert.Null(spec.IdleTimeout);
        Assert.Null(spec.ProbeInterval);
        Assert.True(spec.Probe.IsEmpty);
        Assert.True(spec.Ping.IsEmpty);
        Assert.True(spec.Pong.IsEmpty);
    }

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);
}
