using System.Text.Json;
using Tether.Cli.Commands;

namespace Tether.Cli.Tests.Soak;

/// <summary>Soak runs take the machine's CPUs for tens of seconds: run them alone, after the parallel tests.</summary>
[CollectionDefinition(nameof(SoakCollection), DisableParallelization = true)]
public sealed class SoakCollection;

/// <summary>
/// Real soak runs, in-process through the command's entry point: hundreds of faults on loopback, and not one message
/// lost, duplicated or reordered outside a reported session reset.
/// </summary>
[Collection(nameof(SoakCollection))]
public sealed class SoakEndToEndTests
{
    [Fact]
    public async Task Fifty_clients_under_faults_for_thirty_seconds_lose_duplicate_and_reorder_nothing()
    {
        var descriptorsBefore = OpenDescriptors();

        var run = await SoakAsync("--clients", "50", "--duration", "30s", "--fault-every", "3s", "--json");

        Assert.True(run.ExitCode == ExitCodes.Success, run.Describe());
        foreach (var direction in new[] { "up", "down" })
        {
            var counts = run.Summary.GetProperty(direction);
            Assert.True(counts.GetProperty("sent").GetInt64() > 10_000, run.Describe());
            Assert.Equal(counts.GetProperty("sent").GetInt64(), counts.GetProperty("delivered").GetInt64());
            Assert.Equal(0, counts.GetProperty("lost").GetInt64());
            Assert.Equal(0, counts.GetProperty("duplicated").GetInt64());
            Assert.Equal(0, counts.GetProperty("reordered").GetInt64());
            // The server stays up, so every session resumes: nothing may even be lost with a reported reset.
            Assert.Equal(0, counts.GetProperty("reportedLost").GetInt64());
        }

        // About 30 s / 3 s x 50 clients; well over half of those even on a loaded machine.
        Assert.True(run.Summary.GetProperty("faults").GetInt64() >= 200, run.Describe());
        Assert.True(run.Summary.GetProperty("resumes").GetInt64() >= 50, run.Describe());
        Assert.Equal(0, run.Summary.GetProperty("sessionResets").GetInt64());
        Assert.Equal(0, run.Summary.GetProperty("corrupt").GetInt64());
        Assert.True(run.Summary.GetProperty("settled").GetBoolean(), run.Describe());
        Assert.True(run.Summary.GetProperty("passed").GetBoolean());
        AssertNothingLeftOpen(descriptorsBefore);
    }

    [Fact]
    public async Task Server_restarts_lose_sessions_and_every_loss_is_reported()
    {
        var descriptorsBefore = OpenDescriptors();

        // A restart every 3 x 2 s: at least one in 10 s.
        var run = await SoakAsync("--clients", "10", "--duration", "10s", "--fault-every", "2s", "--restart-server", "--json");

        Assert.True(run.ExitCode == ExitCodes.Success, run.Describe());
        Assert.True(run.Summary.GetProperty("restarts").GetInt64() >= 1, run.Describe());
        // Every client loses its session to the restart and hears of it; so does the new server. (A client still away
        // when a second restart comes loses its session once, not twice.)
        Assert.True(run.Summary.GetProperty("sessionResets").GetInt64() >= 10, run.Describe());
        Assert.True(run.Summary.GetProperty("serverSessionResets").GetInt64() >= 10, run.Describe());
        Assert.Equal(0, run.Summary.GetProperty("unreportedByServer").GetInt64());
        foreach (var direction in new[] { "up", "down" })
        {
            var counts = run.Summary.GetProperty(direction);
            Assert.Equal(0, counts.GetProperty("lost").GetInt64());
            Assert.Equal(0, counts.GetProperty("duplicated").GetInt64());
            Assert.Equal(0, counts.GetProperty("reordered").GetInt64());
        }

        Assert.True(run.Summary.GetProperty("passed").GetBoolean());
        AssertNothingLeftOpen(descriptorsBefore);
    }

    [Fact]
    public async Task A_run_shorter_than_the_restart_interval_still_restarts_the_server_halfway()
    {
        // 3 x 5 s would be past the end of a 2 s run.
        var run = await SoakAsync("--clients", "2", "--duration", "2s", "--fault-every", "5s", "--restart-server", "--json");

        Assert.Contains("a server restart every 1s", run.Errors, StringComparison.Ordinal);
        Assert.True(run.Summary.GetProperty("restarts").GetInt64() >= 1, run.Describe());
        Assert.True(run.ExitCode == ExitCodes.Success, run.Describe());
    }

    [Fact]
    public async Task The_soak_command_ends_with_one_json_line_and_sigterm_ends_it_early_with_the_summary()
    {
        await using var soak = CliProcess.Start("soak", "--clients", "3", "--duration", "5m", "--fault-every", "1s", "--json");
        await soak.WaitForStderrAsync(line => line.StartsWith("tether: soak: 3 clients for 5m against an in-process server on 127.0.0.1:", StringComparison.Ordinal));
        await Task.Delay(TimeSpan.FromSeconds(2));

        soak.Signal(CliProcess.SigTerm);

        Assert.Equal(ExitCodes.Success, await soak.WaitForExitAsync());
        var last = soak.StdoutLines[^1];
        using var summary = JsonDocument.Parse(last);
        Assert.True(summary.RootElement.GetProperty("up").GetProperty("delivered").GetInt64() > 0, soak.Describe());
        Assert.True(summary.RootElement.GetProperty("elapsedMs").GetInt64() < 60_000, soak.Describe());
        Assert.Single(soak.StdoutLines);
        Assert.All(soak.StderrLines, line => Assert.StartsWith("tether: soak", line, StringComparison.Ordinal));
    }

    private static async Task<SoakRun> SoakAsync(params string[] args)
    {
        var parse = CliApp.CreateRootCommand().Parse(["soak", .. args]);
        Assert.Empty(parse.Errors);
        var options = Assert.IsType<SoakCommand>(parse.CommandResult.Command).BuildOptions(parse);
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var exitCode = await SoakCommand.RunAsync(options, output, TextWriter.Synchronized(errors), TimeProvider.System, CancellationToken.None, CancellationToken.None);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        using var summary = JsonDocument.Parse(lines[^1]);
        return new SoakRun(exitCode, summary.RootElement.Clone(), output.ToString(), errors.ToString());
    }

    /// <summary>The open file descriptors of this process and what they are, where the platform shows them.</summary>
    private static Dictionary<string, string>? OpenDescriptors() => Directory.Exists("/proc/self/fd")
        ? Directory.GetFiles("/proc/self/fd").ToDictionary(path => path, path => new FileInfo(path).LinkTarget ?? "?")
        : null;

    private static void AssertNothingLeftOpen(Dictionary<string, string>? before)
    {
        // A few descriptors come and go with the runtime (thread pool, epoll); a leaked client or proxy is 3-5 each.
        if (before is not null && OpenDescriptors() is { } after)
        {
            var added = after.Where(fd => !before.TryGetValue(fd.Key, out var target) || target != fd.Value).Select(fd => fd.Value).ToList();
            Assert.True(added.Count(target => target.StartsWith("socket:", StringComparison.Ordinal)) <= 2, $"left open: {string.Join(", ", added)}");
        }
    }

    private sealed record SoakRun(int ExitCode, JsonElement Summary, string Output, string Errors)
    {
        public string Describe() => $"exit code {ExitCode}{Environment.NewLine}stdout:{Environment.NewLine}{Output}stderr:{Environment.NewLine}{Errors}";
    }
}
