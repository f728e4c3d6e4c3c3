using System.Net;
using System.Text;
using Tether.Cli.Commands;
using Tether.Framing;
using Tether.Server;

namespace Tether.Cli.Tests;

/// <summary>From <c>tether serve --listen ...</c> to the server's listeners, without running anything.</summary>
public class ServeListenOptionsTests
{
    [Fact]
    public void Every_listener_goes_into_listeners_in_listen_order()
    {
        var options = Serve(
            "--listen", "127.0.0.1:0",
            "--listen", "lines@127.0.0.1:0,ping",
            "-l", "length-prefixed@[::1]:9000,header=u16",
            "--listen", "raw@:8888",
            "--listen", "tether@127.0.0.1:7447");

        Assert.Empty(options.EndPoints);
        Assert.Equal(
            ["127.0.0.1:0", "lines@127.0.0.1:0", "length-prefixed@[::1]:9000", "raw@0.0.0.0:8888", "127.0.0.1:7447"],
            options.Listeners.Select(l => l.ToString()));
        Assert.Equal(["tether", "lines", "length-prefixed", "raw", "tether"], options.Listeners.Select(l => l.FramingName));
        Assert.Null(options.Listeners[0].Framing);
        Assert.IsType<LineFraming>(options.Listeners[1].Framing);
        Assert.Equal(LengthPrefix.UInt16, Assert.IsType<LengthPrefixedFraming>(options.Listeners[2].Framing).Prefix);
        Assert.Same(RawFraming.Instance, options.Listeners[3].Framing);
        Assert.Null(options.Listeners[4].Framing);
    }

    [Fact]
    public void Keys_become_listener_settings()
    {
        var listener = Assert.Single(Serve("--listen", @"lines@127.0.0.1:0,max-length=64,idle-timeout=1m,probe=hb,probe-interval=10s,ping=hi,pong=ho").Listeners);

        Assert.Equal(64, Assert.IsType<LineFraming>(listener.Framing).MaxLineLength);
        Assert.Equal(TimeSpan.FromMinutes(1), listener.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), listener.ProbeInterval);
        Assert.Equal("hb", Text(listener.Probe));
        Assert.Equal("hi", Text(listener.PingMessage));
        Assert.Equal("ho", Text(listener.PongMessage));
    }

    [Fact]
    public void Unset_liveness_settings_are_left_to_the_server_defaults()
    {
        // Null falls back to the heartbeat timeout and interval, which --timeout and --heartbeat set.
        var options = Serve("--listen", "lines@127.0.0.1:0,probe", "--heartbeat", "2s", "--timeout", "5s");
        var listener = Assert.Single(options.Listeners);
        Assert.Null(listener.IdleTimeout);
        Assert.Null(listener.ProbeInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Heartbeat.Interval);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Heartbeat.Timeout);
    }

    [Fact]
    public void Each_build_gets_listener_options_of_its_own()
    {
        var parse = CliApp.CreateRootCommand().Parse(["serve", "--listen", "lines@127.0.0.1:0"]);
        var command = Assert.IsType<ServeCommand>(parse.CommandResult.Command);
        Assert.NotSame(command.BuildOptions(parse).Listeners[0], command.BuildOptions(parse).Listeners[0]);
    }

    [Theory]
    [InlineData("listener lines@127.0.0.1:0: ProbeInterval (5 s) must be shorter than IdleTimeout (5 s), or peers are dropped before they are probed",
        "--listen", "lines@127.0.0.1:0,probe,probe-interval=5s,idle-timeout=5s")]
    [InlineData("listener raw@127.0.0.1:0: ProbeInterval (30 s, from Heartbeat.Interval) must be shorter than IdleTimeout (10 s), or peers are dropped before they are probed",
        "--listen", "raw@127.0.0.1:0,probe,idle-timeout=10s")]
    [InlineData("listener lines@127.0.0.1:0: ProbeInterval (120 s) must be shorter than IdleTimeout (75 s, from Heartbeat.Timeout), or peers are dropped before they are probed",
        "--listen", "lines@127.0.0.1:0,probe,probe-interval=2m")]
    [InlineData("listener lines@127.0.0.1:0: ProbeInterval (5 s, from Heartbeat.Interval) must be shorter than IdleTimeout (5 s, from Heartbeat.Timeout), or peers are dropped before they are probed",
        "--listen", "lines@127.0.0.1:0,probe", "--heartbeat", "5s", "--timeout", "5s")]
    public void A_probe_that_would_come_after_the_idle_timeout_is_a_usage_error_in_the_library_s_words(string expected, params string[] args)
    {
        var ex = Assert.Throws<CliException>(() => Serve(args));
        Assert.Equal(expected, ex.Message);
        Assert.Equal(ExitCodes.Usage, ex.ExitCode);
    }

    [Fact]
    public async Task A_probe_that_would_come_after_the_idle_timeout_is_one_line_on_stderr_and_exit_code_1()
    {
        var errors = new StringWriter();
        var exitCode = await CliApp.RunAsync(["serve", "--listen", "lines@127.0.0.1:0,probe,probe-interval=5s,idle-timeout=5s"], errors);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal(
            "tether: listener lines@127.0.0.1:0: ProbeInterval (5 s) must be shorter than IdleTimeout (5 s), or peers are dropped before they are probed" + Environment.NewLine,
            errors.ToString());
    }

    [Fact]
    public void A_probe_before_the_idle_timeout_is_fine()
    {
        Assert.Single(Serve("--listen", "raw@127.0.0.1:0,probe,idle-timeout=31s").Listeners);
        Assert.Single(Serve("--listen", "lines@127.0.0.1:0,probe,probe-interval=300ms,idle-timeout=5s").Listeners);
    }

    [Fact]
    public void The_listening_line_names_each_framing()
    {
        var options = Serve("--listen", "127.0.0.1:0", "--listen", "lines@127.0.0.1:0,ping", "--listen", "raw@[::1]:0");
        IPEndPoint[] bound = [new(IPAddress.Loopback, 7447), new(IPAddress.Loopback, 7448), new(IPAddress.IPv6Loopback, 8888)];

        Assert.Equal(
            "127.0.0.1:7447 (tether), 127.0.0.1:7448 (lines), [::1]:8888 (raw)",
            ServeCommand.DescribeListeners(bound, options.Listeners));
    }

    [Fact]
    public void Help_explains_the_listen_syntax_with_an_example()
    {
        var serve = CliApp.CreateRootCommand().Subcommands.Single(c => c.Name == "serve");
        var listen = serve.Options.Single(o => o.Name == "--listen");
        const string Example = "--listen 127.0.0.1:7447 --listen lines@127.0.0.1:7448,ping --listen raw@127.0.0.1:8888";
        Assert.Contains("[FRAMING@]HOST:PORT[,KEY[=VALUE]]...", listen.Description, StringComparison.Ordinal);
        Assert.Contains(Example, listen.Description, StringComparison.Ordinal);
        Assert.Contains(Example, serve.Description, StringComparison.Ordinal);
        foreach (var word in new[] { "lines", "length-prefixed", "raw", "idle-timeout", "probe-interval", "ping", "pong", "max-length", "header=u16|u32" })
        {
            Assert.Contains(word, listen.Description, StringComparison.Ordinal);
        }

        Assert.Contains("idle-timeout", serve.Options.Single(o => o.Name == "--timeout").Description, StringComparison.Ordinal);
        Assert.Contains("probe-interval", serve.Options.Single(o => o.Name == "--heartbeat").Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Per_address_limit_and_token_secret_reach_the_server_options()
    {
        Assert.Equal(int.MaxValue, Serve().MaxConnectionsPerAddress);
        Assert.Null(Serve().Authenticator);
        Assert.Equal(5, Serve("--max-connections-per-address", "5").MaxConnectionsPerAddress);

        var secret = Path.GetTempFileName();
        try
        {
            File.WriteAllText(secret, "sixteen bytes or more\n");
            Assert.IsType<Tether.Authentication.SignedTokenAuthenticator>(Serve("--auth-secret-file", secret).Authenticator);
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public void Rate_limits_reach_the_server_options_and_zero_turns_one_off()
    {
        var defaults = Serve().RateLimits;
        Assert.Equal(100_000, defaults.MessagesPerSecond);
        Assert.Equal(64 * 1024 * 1024, defaults.BytesPerSecond);
        Assert.Equal(0, defaults.ConnectionsPerAddressPerSecond);

        var set = Serve("--max-message-rate", "500", "--max-byte-rate", "0", "--max-connection-rate-per-address", "20").RateLimits;
        Assert.Equal(500, set.MessagesPerSecond);
        Assert.Equal(0, set.BytesPerSecond);
        Assert.Equal(20, set.ConnectionsPerAddressPerSecond);
    }

    [Fact]
    public void Tls_applies_to_every_listener_unless_some_are_marked()
    {
        var dir = Directory.CreateTempSubdirectory("tether-tls-options-").FullName;
        try
        {
            var cert = Path.Combine(dir, "c.pem");
            var key = Path.Combine(dir, "k.pem");
            Tether.Cli.Tls.DevelopmentCertificate.Write(cert, key, ["localhost"], 1, overwrite: false, TimeProvider.System);

            var all = Serve("--listen", "127.0.0.1:0", "--listen", "lines@127.0.0.1:0", "--tls-cert", cert, "--tls-key", key);
            Assert.All(all.Listeners, l => Assert.NotNull(l.Tls));

            var marked = Serve("--listen", "127.0.0.1:0", "--listen", "lines@127.0.0.1:0,tls", "--tls-cert", cert, "--tls-key", key, "--tls-client-ca", cert);
            Assert.Null(marked.Listeners[0].Tls);
            Assert.True(marked.Listeners[1].Tls!.ClientCertificateRequired);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static TetherServerOptions Serve(params string[] args)
    {
        var parse = CliApp.CreateRootCommand().Parse(["serve", .. args]);
        Assert.Empty(parse.Errors);
        return Assert.IsType<ServeCommand>(parse.CommandResult.Command).BuildOptions(parse);
    }

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);
}
