using System.Globalization;
using System.Text.Json;
using static Tether.Cli.Tests.CliJson;

namespace Tether.Cli.Tests;

/// <summary>
/// How <c>tether connect</c> ends: lines the server never acknowledged are counted and change the exit code, and a
/// close the server started is reported as such, never hidden behind our own close.
/// </summary>
public sealed class ConnectCloseEndToEndTests : IDisposable
{
    private readonly PortFiles _ports = new();

    public void Dispose() => _ports.Dispose();

    [Fact]
    public async Task Lines_sent_into_a_silent_path_are_counted_as_unacknowledged_with_exit_code_3()
    {
        await using var server = CliProcess.Start("serve", "--listen", "127.0.0.1:0", "--port-file", _ports.Server);
        await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on 127.0.0.1:", StringComparison.Ordinal));
        var serverPort = PortFiles.Read(_ports.Server);
        await using var proxy = CliProcess.Start("proxy", "--target", $"127.0.0.1:{serverPort}", "--port-file", _ports.Proxy, "--json");
        await proxy.WaitForStderrAsync(line => line.StartsWith("tether: proxy ", StringComparison.Ordinal));
        var proxyPort = PortFiles.Read(_ports.Proxy);

        await using var client = CliProcess.Start("connect", $"127.0.0.1:{proxyPort}", "--json", "--close-timeout", "1s");
        await client.WaitForStdoutAsync(line => Event(line) == "connected");
        // The echo carries the acknowledgement of "one": it is not among the unacknowledged.
        await client.Stdin.WriteLineAsync("one");
        await client.WaitForStdoutAsync(line => Event(line) == "message");
        await proxy.Stdin.WriteLineAsync("blackhole");
        await proxy.WaitForStdoutAsync(line => Event(line) == "fault");

        await client.Stdin.WriteLineAsync("two");
        await client.Stdin.WriteLineAsync("three");
        client.Stdin.Close();

        Assert.Equal(ExitCodes.Unacknowledged, await client.WaitForExitAsync());
        var closed = Parse(client.StdoutLines[^1]);
        Assert.Equal("closed", closed.GetProperty("event").GetString());
        Assert.Equal(2, closed.GetProperty("unacknowledged").GetInt32());
        Assert.Equal(["tether: 2 line(s) sent but never acknowledged by the server"], client.StderrLines);

        proxy.Stdin.Close();
        server.Signal(CliProcess.SigTerm);
        await proxy.WaitForExitAsync();
        await server.WaitForExitAsync();
    }

    [Fact]
    public async Task A_rate_limited_close_is_reported_as_disconnected_with_its_code_before_closed()
    {
        await using var server = CliProcess.Start("serve", "--listen", "127.0.0.1:0", "--port-file", _ports.Server, "--max-message-rate", "20");
        await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on 127.0.0.1:", StringComparison.Ordinal));
        var port = PortFiles.Read(_ports.Server);

        await using var client = CliProcess.Start("connect", $"127.0.0.1:{port}", "--json", "--close-timeout", "2s", "--max-attempts", "1");
        await client.WaitForStdoutAsync(line => Event(line) == "connected");
        // Far over 20 frames at once: the server closes with RATE_LIMITED while the lines wait for acknowledgement.
        for (var i = 1; i <= 500; i++)
        {
            await client.Stdin.WriteLineAsync(i.ToString(CultureInfo.InvariantCulture));
        }

        client.Stdin.Close();

        await client.WaitForExitAsync();
        var events = client.StdoutLines.Select(Parse).ToList();
        var disconnected = Assert.Single(events, e => e.GetProperty("event").GetString() == "disconnected");
        Assert.Equal("rate-limited", disconnected.GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Number, disconnected.GetProperty("code").ValueKind);
        Assert.Equal("closed", events[^1].GetProperty("event").GetString());
        Assert.True(events.IndexOf(disconnected) < events.Count - 1);

        server.Signal(CliProcess.SigTerm);
        await server.WaitForExitAsync();
    }
}
