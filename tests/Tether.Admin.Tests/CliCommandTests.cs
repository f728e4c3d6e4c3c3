namespace Tether.Admin.Tests;

/// <summary>tether push / broadcast / group-push / clients / kick, run as the real CLI against an in-process admin listener.</summary>
public sealed class CliCommandTests : IAsyncLifetime
{
    private readonly string _keyFile = Path.GetTempFileName();
    private AdminHost _host = null!;

    private string Admin => _host.Admin.BaseAddress!.ToString();

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(_keyFile, "cli-test-key-0123456789\n");
        _host = await AdminHost.StartAsync(o => o.ApiKeyFile = _keyFile);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        File.Delete(_keyFile);
    }

    [Fact]
    public async Task Push_broadcast_and_group_push_reach_the_clients()
    {
        await using var a = await TestClient.ConnectAsync(_host.TetherEndPoint, "cli-a");
        await using var b = await TestClient.ConnectAsync(_host.TetherEndPoint, "cli-b");

        var (exit, stdout, stderr) = await CliRun.RunAsync("push", "cli-a", "hi \"there\"", "--wait-for-ack", "--admin", Admin, "--api-key-file", _keyFile);
        Assert.True(exit == 0, string.Join('\n', stderr));
        Assert.Equal(["delivered: cli-a, acknowledged"], stdout);
        Assert.Equal("hi \"there\"", await a.ReceiveAsync());

        (exit, stdout, _) = await CliRun.RunAsync("broadcast", "to all", "--admin", Admin, "--api-key-file", _keyFile);
        Assert.Equal(0, exit);
        Assert.Equal(["sent: 2 connections and sessions on local"], stdout);
        Assert.Equal("to all", await a.ReceiveAsync());
        Assert.Equal("to all", await b.ReceiveAsync());

        await _host.Server.JoinGroupAsync("cli-b", "ops");
        (exit, stdout, _) = await CliRun.RunAsync(new Dictionary<string, string> { ["TETHER_API_KEY"] = "cli-test-key-0123456789" }, "group-push", "ops", "ops only", "--admin", Admin);
        Assert.Equal(0, exit);
        Assert.Equal(["sent: 1 connections and sessions on local"], stdout);
        Assert.Equal("ops only", await b.ReceiveAsync());
    }

    [Fact]
    public async Task Clients_lists_the_ids_and_kick_disconnects_one()
    {
        await using var a = await TestClient.ConnectAsync(_host.TetherEndPoint, "cli-k1", reconnect: false);
        await using var b = await TestClient.ConnectAsync(_host.TetherEndPoint, "cli-k2");

        var (exit, stdout, _) = await CliRun.RunAsync("clients", "--admin", Admin, "--api-key-file", _keyFile);
        Assert.Equal(0, exit);
        Assert.Equal(["cli-k1", "cli-k2"], stdout.Order().ToArray());

        Assert.True(_host.Server.Connections.TryGetByClientId("cli-k1", out var connection));
        (exit, stdout, _) = await CliRun.RunAsync("kick", "cli-k1", "--code", "4002", "--reason", "bye", "--admin", Admin, "--api-key-file", _keyFile);
        Assert.Equal(0, exit);
        Assert.Equal(["disconnected: cli-k1 (code 4002)"], stdout);
        await TestSupport.Eventually.WaitUntilAsync(() => connection.State != Server.ConnectionState.Open, "the kicked connection closed");
        Assert.Equal((Protocol.CloseCode)4002, connection.DisconnectInfo!.Code);
    }

    [Fact]
    public async Task Failures_are_one_line_with_exit_code_2()
    {
        var (exit, stdout, stderr) = await CliRun.RunAsync("push", "nobody", "x", "--admin", Admin, "--api-key-file", _keyFile);
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.Equal(["tether: no client nobody is connected or has a session"], stderr);

        (exit, _, stderr) = await CliRun.RunAsync("kick", "nobody", "--admin", Admin, "--api-key-file", _keyFile);
        Assert.Equal(2, exit);
        Assert.Equal(["tether: no client nobody is connected"], stderr);

        (exit, _, stderr) = await CliRun.RunAsync("clients", "--admin", Admin);
        Assert.Equal(2, exit);
        Assert.Single(stderr);
        Assert.StartsWith("tether: the admin API refused the key", stderr[0], StringComparison.Ordinal);

        (exit, _, stderr) = await CliRun.RunAsync("kick", "x", "--code", "5", "--admin", Admin, "--api-key-file", _keyFile);
        Assert.Equal(1, exit);
        Assert.Equal(["tether: --code: 5 is not a close code from 1000 to 4999"], stderr);
    }

    [Fact]
    public async Task An_unreachable_admin_API_is_one_line()
    {
        // The port of a listener that was just closed: nothing listens there.
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var (exit, _, stderr) = await CliRun.RunAsync("broadcast", "x", "--admin", $"127.0.0.1:{port}", "--api-key-file", _keyFile);
        Assert.Equal(2, exit);
        Assert.Single(stderr);
        Assert.StartsWith($"tether: cannot reach the admin API at http://127.0.0.1:{port}/", stderr[0], StringComparison.Ordinal);
    }
}
