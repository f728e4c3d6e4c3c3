using Tether.Cli.Commands;
using Tether.Cli.Parsing;
using Tether.Cli.Soak;
using Tether.Server;

namespace Tether.Cli.Tests;

/// <summary><c>tether serve --redis</c> and <c>tether soak --cluster</c> from argv to options, without running anything.</summary>
public class ClusterCommandLineTests
{
    [Fact]
    public void Serve_without_redis_is_a_single_node()
    {
        Assert.Null(Serve("--listen", "127.0.0.1:0").ScaleOut);
    }

    [Fact]
    public void Serve_redis_and_node_name_become_scale_out_options()
    {
        var scaleOut = Serve("--redis", "127.0.0.1:6390", "--node-name", "n1", "--redis-prefix", "chat").ScaleOut;

        Assert.NotNull(scaleOut);
        Assert.Equal("127.0.0.1:6390", scaleOut.Redis);
        Assert.Equal("n1", scaleOut.NodeName);
        Assert.Equal("chat", scaleOut.KeyPrefix);
    }

    [Fact]
    public void Serve_redis_alone_names_the_node_after_the_machine_and_process_with_the_default_prefix()
    {
        var scaleOut = Serve("--redis", "localhost:6379").ScaleOut!;

        Assert.Equal($"{Environment.MachineName}-{Environment.ProcessId}", scaleOut.NodeName);
        Assert.Equal("tether", scaleOut.KeyPrefix);
        Assert.Equal(TimeSpan.FromMilliseconds(100), scaleOut.OperationTimeout);
    }

    [Fact]
    public void Serve_redis_timeout_sets_the_operation_timeout_and_leaves_pushes_time_to_retry()
    {
        var scaleOut = Serve("--redis", "localhost:6379", "--redis-timeout", "4s").ScaleOut!;

        Assert.Equal(TimeSpan.FromSeconds(4), scaleOut.OperationTimeout);
        Assert.Equal(TimeSpan.FromSeconds(12), scaleOut.RemoteSendTimeout);
    }

    [Theory]
    [InlineData("--node-name needs --redis", "--node-name", "n1")]
    [InlineData("--redis-prefix needs --redis", "--redis-prefix", "x")]
    [InlineData("--redis-timeout needs --redis", "--redis-timeout", "1s")]
    [InlineData("--redis-timeout: the scale-out operation timeout must be at most 30 s", "--redis", "127.0.0.1:6390", "--redis-timeout", "40s")]
    [InlineData("--redis-prefix: the scale-out key prefix must be a non-empty string without braces", "--redis", "127.0.0.1:6390", "--redis-prefix", "{x}")]
    [InlineData("--node-name: the node name must be 1 to 200 characters", "--redis", "127.0.0.1:6390", "--node-name", " ")]
    public void Serve_cluster_usage_errors_are_one_line_naming_the_option(string expected, params string[] args)
    {
        var ex = Assert.Throws<CliException>(() => Serve(args));
        Assert.Equal(ExitCodes.Usage, ex.ExitCode);
        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Theory]
    [InlineData("serve")]
    [InlineData("soak")]
    public void A_bad_redis_value_is_a_parse_error_in_one_line(string command)
    {
        foreach (var bad in new[] { "127.0.0.1:99999", "nonsense=1", "" })
        {
            var parse = CliApp.CreateRootCommand().Parse([command, "--redis", bad]);
            var described = CliApp.DescribeParseErrors(parse);
            Assert.StartsWith("tether: --redis: ", described, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', described);
        }
    }

    [Fact]
    public void Redis_endpoints_are_described_without_the_rest_of_the_configuration()
    {
        Assert.Equal("127.0.0.1:6390", RedisConfiguration.DescribeEndPoints("127.0.0.1:6390"));
        Assert.Equal("redis.local:6379", RedisConfiguration.DescribeEndPoints("redis.local,password=secret"));
        Assert.DoesNotContain("secret", RedisConfiguration.DescribeEndPoints("a:1,b:2,password=secret"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_help_describes_the_cluster_options()
    {
        using var output = new StringWriter();
        await CliApp.CreateRootCommand().Parse(["serve", "--help"]).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output });

        var help = output.ToString();
        Assert.Contains("--redis <host:port>", help, StringComparison.Ordinal);
        Assert.Contains("--node-name <name>", help, StringComparison.Ordinal);
        Assert.Contains("--redis-prefix <prefix>", help, StringComparison.Ordinal);
    }

    [Fact]
    public void Soak_cluster_options_are_taken()
    {
        var options = Soak("--cluster", "3", "--redis", "127.0.0.1:6390", "--kill-node-every", "7s");

        Assert.True(options.IsCluster);
        Assert.Equal(3, options.Cluster);
        Assert.Equal("127.0.0.1:6390", options.Redis);
        Assert.Equal(TimeSpan.FromSeconds(7), options.KillNodeEvery);
    }

    [Fact]
    public void Soak_without_cluster_is_unchanged()
    {
        var options = Soak();

        Assert.False(options.IsCluster);
        Assert.Null(options.Redis);
        Assert.Null(options.KillNodeEvery);
    }

    [Theory]
    [InlineData("--redis needs --cluster", "--redis", "127.0.0.1:6390")]
    [InlineData("--kill-node-every needs --cluster", "--kill-node-every", "5s")]
    [InlineData("--cluster cannot be used with --target", "--cluster", "3", "--redis", "127.0.0.1:6390", "--target", "127.0.0.1:7447")]
    [InlineData("--cluster cannot be used with --restart-server", "--cluster", "3", "--redis", "127.0.0.1:6390", "--restart-server")]
    [InlineData("--cluster cannot be used with --fault-every", "--cluster", "3", "--redis", "127.0.0.1:6390", "--fault-every", "2s")]
    public void Soak_cluster_usage_errors_are_one_line(string expected, params string[] args)
    {
        var ex = Assert.Throws<CliException>(() => Soak(args));
        Assert.Equal(ExitCodes.Usage, ex.ExitCode);
        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tether: --cluster: must be at least 1, not 0 (see 'tether soak --help')", "--cluster", "0")]
    [InlineData("tether: --kill-node-every: must be more than zero (see 'tether soak --help')", "--kill-node-every", "0")]
    public void Soak_cluster_parse_errors_name_the_option(string expected, params string[] args)
    {
        var parse = CliApp.CreateRootCommand().Parse(["soak", .. args]);
        Assert.Equal(expected, CliApp.DescribeParseErrors(parse));
    }

    [Fact]
    public void Nodes_are_started_from_the_apphost_itself_or_through_dotnet_with_the_cli_assembly()
    {
        string[] args = ["serve", "--redis", "127.0.0.1:6390"];

        var apphost = CliExecutable.StartInfo("/opt/tether/Tether.Cli", "/opt/tether/Tether.Cli.dll", null, args);
        Assert.Equal("/opt/tether/Tether.Cli", apphost.FileName);
        Assert.Equal(args, apphost.ArgumentList);

        var tool = CliExecutable.StartInfo("/home/u/.dotnet/tools/tether", "/x/Tether.Cli.dll", null, args);
        Assert.Equal("/home/u/.dotnet/tools/tether", tool.FileName);

        var muxer = CliExecutable.StartInfo("/usr/share/dotnet/dotnet", "/x/Tether.Cli.dll", null, args);
        Assert.Equal("/usr/share/dotnet/dotnet", muxer.FileName);
        Assert.Equal(["/x/Tether.Cli.dll", .. args], muxer.ArgumentList);

        // Inside another host (the tests' testhost): the dotnet host the SDK names, with the CLI's assembly.
        var hosted = CliExecutable.StartInfo("/x/testhost", "/x/Tether.Cli.dll", "/sdk/dotnet", args);
        Assert.Equal("/sdk/dotnet", hosted.FileName);
        Assert.Equal(["/x/Tether.Cli.dll", .. args], hosted.ArgumentList);
    }

    [Fact]
    public void A_cluster_run_fails_on_any_session_reset_and_when_no_push_crossed_the_cluster()
    {
        var clean = Report(nodes: 3, sessionResets: 0, downSent: 100);
        Assert.True(clean.Passed);
        Assert.False((clean with { SessionResets = 1 }).Passed);
        Assert.False((clean with { Down = new StreamCounts(0, 0, 0, 0, 0, 0) }).Passed);

        // Outside a cluster a reported reset accounts for its losses, as before.
        Assert.True(Report(nodes: 0, sessionResets: 1, downSent: 100).Passed);
    }

    [Fact]
    public void The_json_summary_adds_nodes_and_node_kills_and_keeps_every_field()
    {
        var output = new StringWriter();
        SoakReportWriter.WriteJson(output, Report(nodes: 3, sessionResets: 0, downSent: 100) with { NodeKills = 2 });

        var summary = CliJson.Parse(output.ToString().Trim());
        Assert.Equal(3, summary.GetProperty("nodes").GetInt32());
        Assert.Equal(2, summary.GetProperty("nodeKills").GetInt64());
        Assert.Equal("cluster", summary.GetProperty("mode").GetString());
        foreach (var field in new[] { "up", "down", "faults", "resumes", "sessionResets", "serverSessionResets", "unreportedByServer", "restarts", "corrupt", "settled", "settleResets", "clients", "elapsedMs", "seed", "faultsByKind", "passed" })
        {
            Assert.True(summary.TryGetProperty(field, out _), field);
        }
    }

    [Fact]
    public void The_human_summary_of_a_cluster_run_says_how_many_nodes_were_killed_and_why_it_failed()
    {
        using var output = new StringWriter();
        SoakReportWriter.WriteHuman(output, Report(nodes: 3, sessionResets: 2, downSent: 0) with { NodeKills = 4 });

        var text = output.ToString();
        Assert.Contains("cluster: 3 node processes, 4 killed with SIGKILL and restarted", text, StringComparison.Ordinal);
        Assert.Contains("sessions reset in a cluster run", text, StringComparison.Ordinal);
        Assert.Contains("no push reached a client through the cluster", text, StringComparison.Ordinal);
        Assert.Contains("result: FAILED", text, StringComparison.Ordinal);
    }

    private static SoakReport Report(int nodes, long sessionResets, long downSent) => new()
    {
        Up = new StreamCounts(100, 100, 0, 0, 0, 0),
        Down = new StreamCounts(downSent, downSent, 0, 0, 0, 0),
        Faults = 0,
        FaultsByKind = new Dictionary<FaultKind, long>(),
        Resumes = 0,
        SessionResets = sessionResets,
        ServerSessionResets = null,
        UnreportedByServer = null,
        Restarts = 0,
        Corrupt = 0,
        Settled = true,
        SettleResets = 0,
        Clients = 3,
        Elapsed = TimeSpan.FromSeconds(1),
        Seed = 1,
        Echo = false,
        Nodes = nodes,
    };

    private static TetherServerOptions Serve(params string[] args)
    {
        var parse = CliApp.CreateRootCommand().Parse(["serve", .. args]);
        Assert.Empty(parse.Errors);
        return Assert.IsType<ServeCommand>(parse.CommandResult.Command).BuildOptions(parse);
    }

    private static SoakOptions Soak(params string[] args)
    {
        var parse = CliApp.CreateRootCommand().Parse(["soak", .. args]);
        Assert.Empty(parse.Errors);
        return Assert.IsType<SoakCommand>(parse.CommandResult.Command).BuildOptions(parse);
    }
}
