using System.Globalization;
using System.Net;
using System.Text;
using Tether.Client;

namespace Tether.Cli.Tests;

/// <summary><c>tether serve --config FILE</c> and environment variables, as a real process.</summary>
public sealed class ServeConfigEndToEndTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tether-cli-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Listeners_port_file_and_server_id_come_from_the_config_file()
    {
        var portFile = Path.Combine(_directory, "ports");
        var config = WriteConfig($$"""
            {
              "Tether": {
                "Server": { "ServerId": "from-file", "Heartbeat": { "Interval": "5s" } },
                "Serve": { "Listen": [ "127.0.0.1:0", "lines@127.0.0.1:0" ], "PortFile": {{System.Text.Json.JsonSerializer.Serialize(portFile)}}, "App": "echo" }
              }
            }
            """);
        await using var server = CliProcess.Start("serve", "--config", config);

        var listening = await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on", StringComparison.Ordinal));

        Assert.Contains("(tether), 127.0.0.1:", listening, StringComparison.Ordinal);
        Assert.Contains("(lines) as from-file", listening, StringComparison.Ordinal);
        var ports = File.ReadAllLines(portFile);
        Assert.Equal(2, ports.Length);
        var options = new TetherClientOptions();
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, int.Parse(ports[0], CultureInfo.InvariantCulture)));
        await using var client = new TetherClient(options);
        using var timeout = new CancellationTokenSource(CliProcess.Timeout);
        await client.ConnectAsync(timeout.Token);
        await client.SendAsync("hello"u8.ToArray(), timeout.Token);
        await using var replies = client.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await replies.MoveNextAsync());
        Assert.Equal("hello", Encoding.UTF8.GetString(replies.Current.Span));

        server.Signal(CliProcess.SigTerm);
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Contains("tether: stopped", server.StderrLines);
        Assert.False(File.Exists(portFile));
    }

    [Fact]
    public async Task Environment_variables_win_over_the_file_and_flags_win_over_both()
    {
        var config = WriteConfig("""{ "Tether": { "Server": { "ServerId": "from-file", "MaxConnections": 5 }, "Serve": { "Listen": "127.0.0.1:0" } } }""");
        var environment = new Dictionary<string, string> { ["Tether__Server__ServerId"] = "from-env", ["Tether__Serve__Listen"] = "127.0.0.1:1", ["Tether__Serve__JsonLog"] = "true" };
        await using var server = CliProcess.Start(environment, "serve", "--config", config, "--listen", "127.0.0.1:0");

        var listening = await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on", StringComparison.Ordinal));

        Assert.Contains(" as from-env ", listening, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1:1 ", listening, StringComparison.Ordinal);
        // A switch from the environment: the server's log lines are JSON.
        await server.WaitForStdoutAsync(line => line.StartsWith('{') && line.Contains("\"Tether.Server\"", StringComparison.Ordinal));
        server.Signal(CliProcess.SigTerm);
        Assert.Equal(0, await server.WaitForExitAsync());
    }

    [Theory]
    [InlineData("""{ "Tether": { "Server": { "Heartbeat": { "Interval": "7x" } } } }""", "tether: Tether:Server:Heartbeat:Interval: '7x' is not a duration")]
    [InlineData("""{ "Tether": { "Server": { "MaxConections": 5 } } }""", "tether: Tether:Server:MaxConections: unknown setting")]
    [InlineData("""{ "Tether": { "Serve": { "JsonLog": "maybe" } } }""", "tether: Tether:Serve:JsonLog: 'maybe' is not true or false")]
    [InlineData("""{ "Tether": { "Server": { "MaxConnections": 0 } } }""", "tether: Tether:Server:MaxConnections: must be at least 1")]
    [InlineData("{ not json", "tether: --config: ")]
    public async Task A_bad_setting_in_the_file_is_one_usage_error_naming_its_key(string json, string expected)
    {
        var config = WriteConfig(json);
        await using var server = CliProcess.Start("serve", "--config", config);

        Assert.Equal(ExitCodes.Usage, await server.WaitForExitAsync());

        var line = Assert.Single(server.StderrLines);
        Assert.StartsWith(expected, line, StringComparison.Ordinal);
    }

    private string WriteConfig(string json)
    {
        var path = Path.Combine(_directory, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }
}
