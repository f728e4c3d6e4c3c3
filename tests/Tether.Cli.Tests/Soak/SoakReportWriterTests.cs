using System.Text.Json;
using Tether.Cli.Soak;

namespace Tether.Cli.Tests.Soak;

public class SoakReportWriterTests
{
    [Fact]
    public void Json_is_one_line_with_up_down_and_the_run_figures()
    {
        using var output = new StringWriter();
        SoakReportWriter.WriteJson(output, Report());

        var line = Assert.Single(output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        Assert.Equal(
            ["up", "down", "faults", "resumes", "sessionResets", "serverSessionResets", "unreportedByServer", "restarts", "nodes",
             "nodeKills", "corrupt", "settled", "settleResets", "clients", "elapsedMs", "seed", "mode", "faultsByKind", "passed"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(
            """{"sent":1000,"delivered":990,"lost":0,"duplicated":0,"reordered":0,"reportedLost":10}""",
            root.GetProperty("up").GetRawText());
        Assert.Equal(
            """{"sent":900,"delivered":900,"lost":0,"duplicated":0,"reordered":0,"reportedLost":0}""",
            root.GetProperty("down").GetRawText());
        Assert.Equal(40, root.GetProperty("faults").GetInt64());
        Assert.Equal(30, root.GetProperty("resumes").GetInt64());
        Assert.Equal(5, root.GetProperty("sessionResets").GetInt64());
        Assert.Equal(6, root.GetProperty("serverSessionResets").GetInt64());
        Assert.Equal(0, root.GetProperty("unreportedByServer").GetInt64());
        Assert.Equal(1, root.GetProperty("restarts").GetInt64());
        Assert.Equal(0, root.GetProperty("nodes").GetInt32());
        Assert.Equal(0, root.GetProperty("nodeKills").GetInt64());
        Assert.Equal(30_000, root.GetProperty("elapsedMs").GetInt64());
        Assert.Equal("in-process", root.GetProperty("mode").GetString());
        Assert.Equal(8, root.GetProperty("faultsByKind").GetProperty("blackhole").GetInt64());
        Assert.True(root.GetProperty("passed").GetBoolean());
    }

    [Fact]
    public void Json_against_a_target_has_null_server_figures()
    {
        using var output = new StringWriter();
        SoakReportWriter.WriteJson(output, Report() with { ServerSessionResets = null, UnreportedByServer = null, Echo = true });
        using var document = JsonDocument.Parse(output.ToString());
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("serverSessionResets").ValueKind);
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("unreportedByServer").ValueKind);
        Assert.Equal("echo", document.RootElement.GetProperty("mode").GetString());
    }

    [Fact]
    public void The_human_summary_is_a_table_then_the_run_figures_and_the_verdict()
    {
        using var output = new StringWriter();
        SoakReportWriter.WriteHuman(output, Report());
        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("              sent   delivered    lost  duplicated  reordered  reported-lost", lines[0]);
        Assert.Equal("up            1000         990       0           0          0             10", lines[1]);
        Assert.Equal("down           900         900       0           0          0              0", lines[2]);
        Assert.Equal("faults injected: 40 (reset 10, blackhole 8, delay 7, slice 6, refuse 9)", lines[3]);
        Assert.Equal("resumes: 30, session resets reported: 5 to clients, by the server 6, server restarts: 1", lines[4]);
        Assert.Equal("result: ok: nothing lost, duplicated or reordered outside reported session resets", lines[^1]);
    }

    [Theory]
    [InlineData(1, 0, 0, 0, 0)]
    [InlineData(0, 1, 0, 0, 0)]
    [InlineData(0, 0, 1, 0, 0)]
    [InlineData(0, 0, 0, 1, 0)]
    [InlineData(0, 0, 0, 0, 1)]
    public void Any_unreported_loss_duplicate_reorder_damage_or_server_silence_fails(long lost, long duplicated, long reordered, long corrupt, long unreported)
    {
        var report = Report() with
        {
            Down = new StreamCounts(900, 900, lost, duplicated, reordered, 0),
            Corrupt = corrupt,
            UnreportedByServer = unreported,
        };
        Assert.False(report.Passed);

        using var output = new StringWriter();
        SoakReportWriter.WriteHuman(output, report);
        Assert.StartsWith("result: FAILED", output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries)[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_that_did_not_settle_says_so()
    {
        using var output = new StringWriter();
        SoakReportWriter.WriteHuman(output, Report() with { Settled = false, SettleResets = 2 });
        Assert.Contains("warning: the clients did not all settle", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("paths reset while settling, to resend what a black hole swallowed from a live connection: 2", output.ToString(), StringComparison.Ordinal);
    }

    private static SoakReport Report() => new()
    {
        Up = new StreamCounts(1000, 990, 0, 0, 0, 10),
        Down = new StreamCounts(900, 900, 0, 0, 0, 0),
        Faults = 40,
        FaultsByKind = new Dictionary<FaultKind, long>
        {
            [FaultKind.Reset] = 10,
            [FaultKind.BlackHole] = 8,
            [FaultKind.Delay] = 7,
            [FaultKind.Slice] = 6,
            [FaultKind.Refuse] = 9,
        },
        Resumes = 30,
        SessionResets = 5,
        ServerSessionResets = 6,
        UnreportedByServer = 0,
        Restarts = 1,
        Corrupt = 0,
        Settled = true,
        SettleResets = 0,
        Clients = 50,
        Elapsed = TimeSpan.FromSeconds(30),
        Seed = 42,
        Echo = false,
    };
}
