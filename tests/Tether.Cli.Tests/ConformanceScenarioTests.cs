using System.Text.Json;
using Tether.Cli.Conformance;

namespace Tether.Cli.Tests;

/// <summary>The scenario file as embedded, and the pieces that interpret it: values, expressions, frame encoding.</summary>
public sealed class ConformanceScenarioTests
{
    [Fact]
    public void The_embedded_file_is_the_one_in_docs_and_covers_both_roles()
    {
        var scenarios = ScenarioFile.LoadEmbedded();
        var docs = ScenarioFile.Load(Path.Combine(RepositoryRoot(), "docs", "conformance-scenarios.json"));

        Assert.Equal(docs.Select(s => s.Name), scenarios.Select(s => s.Name));
        Assert.All(scenarios, s => Assert.False(string.IsNullOrWhiteSpace(s.Description), s.Name));
        Assert.All(scenarios, s => Assert.NotEmpty(s.Steps));
        Assert.All(scenarios, s => Assert.StartsWith(s.Role == ScenarioRole.Server ? "server-" : "client-", s.Name, StringComparison.Ordinal));
    }

    [Fact]
    public void Docs_list_every_scenario_with_its_description()
    {
        var page = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "conformance.md"));

        Assert.All(ScenarioFile.LoadEmbedded(), s => Assert.Contains($"| `{s.Name}` | {s.Description} |", page, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("handshake")]
    [InlineData("ping-pong")]
    [InlineData("idle-ping")]
    [InlineData("heartbeat-timeout")]
    [InlineData("malformed-close")]
    [InlineData("seq-gap")]
    [InlineData("seq-zero")]
    [InlineData("duplicate-seq")]
    [InlineData("ack-beyond")]
    [InlineData("max-minus-8")]
    [InlineData("extension-frame")]
    [InlineData("resume")]
    [InlineData("takeover")]
    [InlineData("oversized-header")]
    public void Both_roles_have_the_scenario(string name)
    {
        var names = ScenarioFile.LoadEmbedded().Select(s => s.Name).ToHashSet();

        Assert.Contains($"server-{name}", names);
        Assert.Contains($"client-{name}", names);
    }

    [Fact]
    public void An_unknown_op_is_refused_when_the_file_is_read()
    {
        var ex = Assert.Throws<ScenarioFileException>(() => ScenarioFile.Parse("""
            {"scenarios": [{"name": "x", "role": "server", "steps": [{"op": "expcet"}]}]}
            """));

        Assert.Contains("unknown op \"expcet\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_variable_is_captured_once_then_compared()
    {
        var variables = new ScenarioVariables();
        var reference = Json("\"$sid\"");

        Assert.Null(ValueMatcher.Mismatch(reference, "abc", variables));
        Assert.Null(ValueMatcher.Mismatch(reference, "abc", variables));
        Assert.Equal("$sid = \"abc\"", ValueMatcher.Mismatch(reference, "abd", variables));
    }

    [Fact]
    public void Ranges_negation_patterns_and_absence_match_as_documented()
    {
        var variables = new ScenarioVariables();
        variables.Set("I", 300m);

        Assert.Null(ValueMatcher.Mismatch(Json("""{"min": "$I*3/2"}"""), 450m, variables));
        Assert.Equal(">= 450", ValueMatcher.Mismatch(Json("""{"min": "$I*3/2"}"""), 449m, variables));
        Assert.Null(ValueMatcher.Mismatch(Json("""{"min": 1, "max": 2}"""), 2m, variables));
        Assert.NotNull(ValueMatcher.Mismatch(Json("""{"not": "00"}"""), "00", variables));
        Assert.Null(ValueMatcher.Mismatch(Json("""{"not": "00"}"""), "01", variables));
        Assert.Null(ValueMatcher.Mismatch(Json("""{"pattern": 28}"""), "abcdefghijklmnopqrstuvwxyzab", variables));
        Assert.NotNull(ValueMatcher.Mismatch(Json("""{"pattern": 28}"""), "abcdefghijklmnopqrstuvwxyzaX", variables));
        Assert.Null(ValueMatcher.Mismatch(Json("null"), null, variables));
        Assert.NotNull(ValueMatcher.Mismatch(Json("null"), 1m, variables));
        Assert.NotNull(ValueMatcher.Mismatch(Json("1"), null, variables));
    }

    [Theory]
    [InlineData("\"$a+500\"", 1500)]
    [InlineData("\"$a-100\"", 900)]
    [InlineData("\"$a+$a/4\"", 500)]
    [InlineData("\"$a*3/2\"", 1500)]
    [InlineData("42", 42)]
    public void Expressions_are_evaluated_left_to_right(string expression, int expected)
    {
        var variables = new ScenarioVariables();
        variables.Set("a", 1000m);

        Assert.Equal(expected, variables.Number(Json(expression), "test"));
    }

    [Theory]
    [InlineData("""{"type": "HELLO", "session": true, "resume": true}""", "HELLO", "resume", true)]
    [InlineData("""{"type": "WELCOME", "session": true, "sessionId": "0123456789abcdef0123456789abcdef"}""", "WELCOME", "sessionId", "0123456789abcdef0123456789abcdef")]
    [InlineData("""{"type": "DATA", "seq": 7, "data": "hi"}""", "DATA", "seq", 7)]
    [InlineData("""{"type": "DATA", "pattern": 1016}""", "DATA", "size", 1016)]
    [InlineData("""{"type": "PING", "value": 18446744073709551615}""", "PING", "value", 18446744073709551615d)]
    [InlineData("""{"type": "CLOSE", "code": 1010, "reason": "replaced"}""", "CLOSE", "code", 1010)]
    [InlineData("""{"type": "GOAWAY", "retryAfterMs": 800, "alternateEndpoints": ["127.0.0.1:1"]}""", "GOAWAY", "retryAfterMs", 800)]
    [InlineData("""{"type": "0x40", "bodyHex": "0102"}""", "0x40", "bodyHex", "0102")]
    public void Typed_frames_encode_to_what_the_decoder_reads_back(string frame, string type, string field, object value)
    {
        var bytes = new FrameEncoder(new ScenarioVariables()).Encode(Json(frame));
        var decoded = Assert.IsType<ReceivedFrame>(FrameDecoder.Decode(0, bytes));

        Assert.Equal(type, decoded.Type);
        var expected = value switch
        {
            int number => (object)(decimal)number,
            double => (object)(decimal)ulong.MaxValue,
            _ => value,
        };
        Assert.Equal(expected, decoded.Fields[field]);
    }

    [Fact]
    public void Flags_override_the_header_so_invalid_frames_can_be_sent()
    {
        var bytes = new FrameEncoder(new ScenarioVariables()).Encode(Json("""{"type": "PING", "value": 1, "flags": 1}"""));

        Assert.Equal(1, bytes[1]);
        Assert.IsType<MalformedFrame>(FrameDecoder.Decode(0, bytes));
    }

    [Fact]
    public void A_field_the_frame_type_does_not_have_is_refused()
    {
        var ex = Assert.Throws<ScenarioFileException>(() => new FrameEncoder(new ScenarioVariables()).Encode(Json("""{"type": "PING", "valeu": 1}""")));

        Assert.Contains("valeu", ex.Message, StringComparison.Ordinal);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tether.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Tether.slnx not found above the test binaries");
    }
}
