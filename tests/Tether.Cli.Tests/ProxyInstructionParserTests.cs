using Tether.Cli.Proxying;
using Tether.FaultProxy;

namespace Tether.Cli.Tests;

/// <summary>The stdin commands of <c>tether proxy</c>, from a line of text to an instruction or a one-line error.</summary>
public class ProxyInstructionParserTests
{
    [Theory]
    [InlineData("pass", "pass")]
    [InlineData("PASS", "pass")]
    [InlineData("  pass   both  ", "pass")]
    [InlineData("pass up", "pass up")]
    [InlineData("blackhole", "blackhole")]
    [InlineData("blackhole up", "blackhole up")]
    [InlineData("blackhole down", "blackhole down")]
    [InlineData("delay 200ms", "delay 200ms")]
    [InlineData("delay 0.25 down", "delay 250ms down")]
    [InlineData("delay 0", "delay 0s")]
    [InlineData("slice 1", "slice 1")]
    [InlineData("slice 1 up", "slice 1 up")]
    [InlineData("slice 16 10ms", "slice 16 10ms")]
    [InlineData("slice 16 10ms down", "slice 16 10ms down")]
    [InlineData("slice 16 0s", "slice 16")]
    [InlineData("reset", "reset")]
    [InlineData("refuse on", "refuse on")]
    [InlineData("refuse OFF", "refuse off")]
    [InlineData("status", "status")]
    [InlineData("help", "help")]
    [InlineData("\thelp\r", "help")]
    public void Good_lines_parse_to_their_canonical_form(string line, string canonical)
    {
        Assert.True(ProxyInstructionParser.TryParse(line, out var instruction, out var error), error);
        Assert.Null(error);
        Assert.Equal(canonical, instruction!.ToString());
    }

    [Fact]
    public void Fault_instructions_carry_mode_direction_and_parameters()
    {
        Assert.Equal(
            new FaultInstruction(FaultMode.Slice, FaultDirection.ServerToClient, SliceBytes: 3, Pause: TimeSpan.FromMilliseconds(5)),
            Parse("slice 3 5ms down"));
        Assert.Equal(new FaultInstruction(FaultMode.Delay, FaultDirection.ClientToServer, Delay: TimeSpan.FromSeconds(1.5)), Parse("delay 1.5s up"));
        Assert.Equal(new FaultInstruction(FaultMode.BlackHole, FaultDirection.Both), Parse("blackhole"));
        Assert.Equal(new RefuseInstruction(true), Parse("refuse on"));
        Assert.IsType<ResetInstruction>(Parse("reset"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("# a comment")]
    [InlineData("  #blackhole")]
    public void Blank_and_comment_lines_are_ignored(string line)
    {
        Assert.True(ProxyInstructionParser.TryParse(line, out var instruction, out var error));
        Assert.Null(instruction);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("foo", "unknown command 'foo' (one of pass, blackhole, delay, slice, reset, refuse, status, help)")]
    [InlineData("blackholes up", "unknown command 'blackholes' (one of pass, blackhole, delay, slice, reset, refuse, status, help)")]
    [InlineData("blackhole sideways", "blackhole: 'sideways' is not a direction (up, down, both)")]
    [InlineData("pass up down", "pass: unexpected 'up' (usage: pass [up|down|both])")]
    [InlineData("pass a b c", "pass: unexpected 'a b c' (usage: pass [up|down|both])")]
    [InlineData("delay", "delay: a duration is required (usage: delay DURATION [up|down|both])")]
    [InlineData("delay up", "delay: a duration is required (usage: delay DURATION [up|down|both])")]
    [InlineData("delay abc", "delay: 'abc' is not a duration (e.g. 250ms, 30s, 1.5s, 2m, 1h)")]
    [InlineData("delay -1s", "delay: '-1s' is negative; durations must be zero or more")]
    [InlineData("delay 25h", "delay: '25h' is too long (at most 24h)")]
    [InlineData("delay 1s left", "delay: 'left' is not a direction (up, down, both)")]
    [InlineData("slice", "slice: a byte count is required (usage: slice N [PAUSE] [up|down|both])")]
    [InlineData("slice x", "slice: 'x' is not a whole number of bytes (usage: slice N [PAUSE] [up|down|both])")]
    [InlineData("slice 0", "slice: N must be at least 1, not 0")]
    [InlineData("slice -2 1ms", "slice: N must be at least 1, not -2")]
    [InlineData("slice 1 soon", "slice: 'soon' is not a duration (e.g. 250ms, 30s, 1.5s, 2m, 1h)")]
    [InlineData("slice 1 1ms sideways", "slice: 'sideways' is not a direction (up, down, both)")]
    [InlineData("refuse", "refuse: expected on or off (usage: refuse on|off)")]
    [InlineData("refuse maybe", "refuse: 'maybe' is not on or off")]
    [InlineData("refuse on off", "refuse: expected on or off (usage: refuse on|off)")]
    [InlineData("reset now", "reset: unexpected 'now' (reset takes no arguments)")]
    [InlineData("status please", "status: unexpected 'please' (status takes no arguments)")]
    public void Bad_lines_give_one_line_errors(string line, string expected)
    {
        Assert.False(ProxyInstructionParser.TryParse(line, out var instruction, out var error));
        Assert.Null(instruction);
        Assert.Equal(expected, error);
        Assert.DoesNotContain('\n', error!);
    }

    [Fact]
    public void Every_command_in_the_list_parses_in_its_simplest_form()
    {
        foreach (var (syntax, description) in ProxyInstructionParser.Commands)
        {
            Assert.False(string.IsNullOrWhiteSpace(description), syntax);
            var simplest = syntax.Split(' ')[0] switch
            {
                "delay" => "delay 1s",
                "slice" => "slice 1",
                "refuse" => "refuse on",
                var verb => verb,
            };
            Assert.True(ProxyInstructionParser.TryParse(simplest, out _, out var error), error);
        }
    }

    private static ProxyInstruction Parse(string line)
    {
        Assert.True(ProxyInstructionParser.TryParse(line, out var instruction, out var error), error);
        return instruction!;
    }
}
