using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Tether.Cli.Auth;
using Tether.Cli.Commands;
using Tether.Cli.Connecting;
using Tether.Cli.Soak;
using Tether.Cli.Tls;
using Tether.Client;

namespace Tether.Cli.Tests;

/// <summary>The command line's paper cuts (issue 15, part 5), each pinned by the message a user sees.</summary>
public sealed class PaperCutTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tether-papercut-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Commands() => new(AllCommands(CliApp.CreateRootCommand()).Select(path => path));

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Help_shows_each_default_once(string command)
    {
        var help = await HelpAsync([.. command.Split(' ').Skip(1), "--help"]);

        Assert.DoesNotMatch(@"\[default: [^\]]*\][^\n]*\[default:", help);
    }

    [Fact]
    public async Task Serve_help_shows_the_app_default_as_typed()
    {
        var help = await HelpAsync(["serve", "--help"]);

        Assert.Contains("chat room). [default: echo]", help, StringComparison.Ordinal);
        Assert.DoesNotContain("[default: Echo]", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Duration_help_says_a_number_alone_is_seconds()
    {
        var help = await HelpAsync(["connect", "--help"]);

        Assert.Contains("Time allowed for TCP connect plus handshake, per attempt. (250ms, 30s, 2m, 1h; a number alone is seconds) [default: 10s]", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_help_documents_every_json_field_dns_attempts_and_close_timeout()
    {
        var help = await HelpAsync(["connect", "--help"]);

        Assert.Contains("reconnecting {attempt (1 for the first retry), delayMs (wait before it), endpoint (where it goes), lastError (why the last attempt failed, absent after a disconnect)}", help, StringComparison.Ordinal);
        Assert.Contains("closed {reason, unacknowledged (lines the server never acknowledged)}", help, StringComparison.Ordinal);
        Assert.Contains("--dns-attempts <n>", help, StringComparison.Ordinal);
        Assert.Contains("0 keeps trying. [default: 3]", help, StringComparison.Ordinal);
        Assert.Contains("the exit code is 3. (250ms, 30s, 2m, 1h; a number alone is seconds) [default: 10s]", help, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tether: unrecognized option '--frobnicate' (see 'tether connect --help')", "connect", "127.0.0.1:7447", "--frobnicate")]
    [InlineData("tether: unrecognized option '--frobnicate' (see 'tether serve --help')", "serve", "--frobnicate")]
    [InlineData("tether: Option '--secret-file' is required; Option '--client-id' is required (see 'tether token create --help')", "token", "create")]
    [InlineData("tether: --days: must be at least 1, not 0 (see 'tether cert create --help')", "cert", "create", "--days", "0")]
    [InlineData("tether: --dns-attempts: must be at least 0, not -1 (see 'tether connect --help')", "connect", "127.0.0.1:7447", "--dns-attempts", "-1")]
    public void Parse_errors_name_the_option_and_the_whole_command(string expected, params string[] args)
    {
        var parse = CliApp.CreateRootCommand().Parse(args);

        Assert.Equal(expected, CliApp.DescribeParseErrors(parse));
    }

    [Fact]
    public void A_directory_or_a_missing_file_is_named_with_what_is_wrong()
    {
        var missing = Path.Combine(_dir, "nope");

        Assert.Equal($"--secret-file: '{_dir}' is a directory, not a file", Assert.Throws<CliException>(() => SecretFile.Read(_dir, "--secret-file")).Message);
        Assert.Equal($"--secret-file: '{missing}' not found", Assert.Throws<CliException>(() => SecretFile.Read(missing, "--secret-file")).Message);
        Assert.Equal($"--ca: '{_dir}' is a directory, not a file", Assert.Throws<CliException>(() => TlsFiles.Trust(_dir, "--ca")).Message);
        Assert.Equal($"--ca: '{missing}' not found", Assert.Throws<CliException>(() => TlsFiles.Trust(missing, "--ca")).Message);
        Assert.Equal($"--tls-cert: '{missing}' not found", Assert.Throws<CliException>(() => TlsFiles.Certificate(missing, missing, "--tls-cert", "--tls-key")).Message);
        Assert.Equal(
            $"--cert: '{_dir}' is a directory, not a file",
            Assert.Throws<CliException>(() => DevelopmentCertificate.Write(_dir, Path.Combine(_dir, "key.pem"), ["localhost"], 1, overwrite: true, TimeProvider.System)).Message);
        Assert.Equal(
            $"--port-file: '{_dir}' is a directory, not a file",
            Assert.Throws<CliException>(() => Serving.PortFile.Write(_dir, [new IPEndPoint(IPAddress.Loopback, 1)])).Message);
        Assert.Equal(
            $"--port-file: cannot write '{Path.Combine(missing, "port")}': no directory '{missing}'",
            Assert.Throws<CliException>(() => Serving.PortFile.Write(Path.Combine(missing, "port"), [new IPEndPoint(IPAddress.Loopback, 1)])).Message);
    }

    [Fact]
    public void Max_attempts_counts_every_attempt_the_first_included()
    {
        Assert.Equal(1, Connect("127.0.0.1:1", "--max-attempts", "1").Reconnect.MaxAttempts);
        Assert.Equal(5, Connect("127.0.0.1:1", "--max-attempts", "5").Reconnect.MaxAttempts);
        Assert.Null(Connect("127.0.0.1:1").Reconnect.MaxAttempts);
    }

    [Fact]
    public void A_plain_client_hung_up_on_in_the_handshake_is_asked_whether_it_meant_tls()
    {
        const string Message = "127.0.0.1:7447 closed the connection during the handshake";

        Assert.Equal(Message + " (is it a TLS listener? try --tls)", ConnectSession.Explain(Message, new ConnectSettings(TimeSpan.Zero, TimeSpan.Zero, Tls: false)));
        Assert.Equal(Message, ConnectSession.Explain(Message, new ConnectSettings(TimeSpan.Zero, TimeSpan.Zero, Tls: true)));
    }

    [Fact]
    public async Task An_unresolvable_host_fails_after_the_bounded_attempts_with_one_line()
    {
        var lookups = 0;
        var ex = await Assert.ThrowsAsync<CliException>(() => HostResolver.ResolveAllAsync(
            [new DnsEndPoint("x.invalid", 7447), new IPEndPoint(IPAddress.Loopback, 1)],
            attempts: 3,
            _ => Assert.Fail("bounded attempts fail without a still-trying notice"),
            CancellationToken.None,
            (_, _) =>
            {
                lookups++;
                throw new SocketException((int)SocketError.HostNotFound);
            },
            TimeSpan.FromMilliseconds(1)));

        Assert.Equal(3, lookups);
        Assert.Equal(ExitCodes.Failure, ex.ExitCode);
        Assert.StartsWith("cannot resolve host 'x.invalid': ", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith(" (3 attempts; --dns-attempts sets how many, 0 for no limit)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dns_attempts_zero_keeps_trying_and_says_so_once()
    {
        var lookups = 0;
        var notices = new List<string>();
        await HostResolver.ResolveAllAsync(
            [new DnsEndPoint("flaky.example", 7447)],
            attempts: 0,
            notices.Add,
            CancellationToken.None,
            (_, _) => ++lookups < 5 ? throw new SocketException((int)SocketError.TryAgain) : Task.FromResult(new[] { IPAddress.Loopback }),
            TimeSpan.FromMilliseconds(1));

        Assert.Equal(5, lookups);
        var notice = Assert.Single(notices);
        Assert.StartsWith("cannot resolve host 'flaky.example': ", notice, StringComparison.Ordinal);
        Assert.EndsWith("; still trying (--dns-attempts 0)", notice, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_to_an_unresolvable_host_exits_2_with_one_line()
    {
        await using var client = CliProcess.Start("connect", "x.invalid:7447", "--dns-attempts", "1");
        client.Stdin.Close();

        Assert.Equal(ExitCodes.Failure, await client.WaitForExitAsync());
        var line = Assert.Single(client.StderrLines);
        Assert.StartsWith("tether: cannot resolve host 'x.invalid': ", line, StringComparison.Ordinal);
        Assert.EndsWith(" (1 attempt; --dns-attempts sets how many, 0 for no limit)", line, StringComparison.Ordinal);
        Assert.Empty(client.StdoutLines);
    }

    [Theory]
    [InlineData(30, 5, 15)]
    [InlineData(4, 5, 2)]
    [InlineData(15, 5, 15)]
    public void A_soak_shorter_than_the_restart_interval_still_restarts_halfway(int durationSeconds, int faultEverySeconds, int restartEverySeconds)
    {
        var options = new SoakOptions { Duration = TimeSpan.FromSeconds(durationSeconds), FaultEvery = TimeSpan.FromSeconds(faultEverySeconds), RestartServer = true };

        Assert.Equal(TimeSpan.FromSeconds(restartEverySeconds), options.RestartEvery);
    }

    private static IEnumerable<string> AllCommands(Command command, string prefix = "")
    {
        var path = prefix.Length == 0 ? command.Name : $"{prefix} {command.Name}";
        yield return path;
        foreach (var sub in command.Subcommands.SelectMany(c => AllCommands(c, path)))
        {
            yield return sub;
        }
    }

    private static async Task<string> HelpAsync(string[] args)
    {
        using var output = new StringWriter();
        var parse = CliApp.CreateRootCommand().Parse(args);
        await parse.InvokeAsync(new InvocationConfiguration { Output = output });
        return output.ToString();
    }

    private static TetherClientOptions Connect(params string[] args)
    {
        var parse = CliApp.CreateRootCommand().Parse(["connect", .. args]);
        Assert.Empty(parse.Errors);
        return Assert.IsType<ConnectCommand>(parse.CommandResult.Command).BuildOptions(parse);
    }
}
