using System.Net;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tether.Client;
using Tether.Server;
using Tether.Transport;

namespace Tether.Hosting.Tests;

public sealed class OptionsBindingTests
{
    [Fact]
    public void Server_options_bind_from_json_with_durations_written_either_way()
    {
        const string Json = """
            {
              "Tether": {
                "Server": {
                  "EndPoints": [ "127.0.0.1:7500", ":7501" ],
                  "MaxConnections": 500,
                  "ShutdownDrainTimeout": "00:00:25",
                  "Transport": "portable",
                  "Heartbeat": { "Interval": "20s", "Timeout": "50s" },
                  "RateLimits": { "MessagesPerSecond": 7 },
                  "ScaleOut": { "Redis": "127.0.0.1:6379", "NodeName": "n1" }
                }
              }
            }
            """;
        var builder = TestHosts.Builder();
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Json)));
        builder.Services.AddTetherServer<RecordingHandler>();

        var options = Resolve<TetherServerOptions>(builder);

        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 7500), new IPEndPoint(IPAddress.Any, 7501)], options.EndPoints);
        Assert.Equal(500, options.MaxConnections);
        Assert.Equal(TimeSpan.FromSeconds(25), options.ShutdownDrainTimeout);
        Assert.Equal(TransportKind.Portable, options.Transport);
        Assert.Equal(TimeSpan.FromSeconds(20), options.Heartbeat.Interval);
        Assert.Equal(TimeSpan.FromSeconds(50), options.Heartbeat.Timeout);
        Assert.Equal(7d, options.RateLimits.MessagesPerSecond);
        Assert.Equal("n1", options.ScaleOut?.NodeName);
    }

    [Fact]
    public void Environment_variables_and_the_command_line_override_in_the_order_added()
    {
        // A name no other test reads, so that setting it cannot leak into them.
        const string Variable = "TETHERHOSTINGTEST_Tether__Server__Heartbeat__Interval";
        Environment.SetEnvironmentVariable(Variable, "12s");
        try
        {
            var builder = TestHosts.Builder(("Tether:Server:Heartbeat:Interval", "1s"), ("Tether:Server:MaxFrameSize", "4096"));
            builder.Configuration.AddEnvironmentVariables("TETHERHOSTINGTEST_");
            builder.Configuration.AddCommandLine(["--Tether:Server:MaxFrameSize=8192"]);
            builder.Services.AddTetherServer<RecordingHandler>();

            var options = Resolve<TetherServerOptions>(builder);

            Assert.Equal(TimeSpan.FromSeconds(12), options.Heartbeat.Interval);
            Assert.Equal(8192, options.MaxFrameSize);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Variable, null);
        }
    }

    [Fact]
    public void The_code_delegate_runs_after_configuration()
    {
        var builder = TestHosts.Builder(("Tether:Server:MaxConnections", "10"), ("Tether:Server:ServerId", "from-config"));
        builder.Services.AddTetherServer<RecordingHandler>(options => options.MaxConnections = 20);

        var options = Resolve<TetherServerOptions>(builder);

        Assert.Equal(20, options.MaxConnections);
        Assert.Equal("from-config", options.ServerId);
    }

    [Fact]
    public void Client_options_bind_endpoints_host_names_and_the_token()
    {
        var builder = TestHosts.Builder(
            ("Tether:Client:EndPoints:0", "tether.example.com:7447"),
            ("Tether:Client:EndPoints:1", "[::1]:7448"),
            ("Tether:Client:ClientId", "device-1"),
            ("Tether:Client:Token", "secret"),
            ("Tether:Client:HeartbeatInterval", "15s"),
            ("Tether:Client:Reconnect:MaxAttempts", "3"));
        builder.Services.AddTetherClient();

        var options = Resolve<TetherClientOptions>(builder);

        Assert.Equal([new DnsEndPoint("tether.example.com", 7447), new IPEndPoint(IPAddress.IPv6Loopback, 7448)], options.EndPoints);
        Assert.Equal("device-1", options.ClientId);
        Assert.Equal("secret", Encoding.UTF8.GetString(options.Token.Span));
        Assert.Equal(TimeSpan.FromSeconds(15), options.HeartbeatInterval);
        Assert.Equal(3, options.Reconnect.MaxAttempts);
    }

    private static TOptions Resolve<TOptions>(Microsoft.Extensions.Hosting.HostApplicationBuilder builder)
        where TOptions : class
    {
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<TOptions>>().Value;
    }
}
