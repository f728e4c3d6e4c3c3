using System.Net;
using System.Net.Sockets;
using Tether.Client;
using Tether.Tests.Support;

namespace Tether.Tests.Client;

/// <summary>One attempt has one deadline, the connect timeout, and it covers the TCP connect (protocol section 14.1).</summary>
public sealed class ConnectTimeoutTests
{
    [Fact]
    public void The_default_connect_timeout_is_the_recommended_10_s() =>
        Assert.Equal(TimeSpan.FromSeconds(10), new TetherClientOptions().ConnectTimeout);

    [LinuxFact]
    public async Task A_tcp_connect_that_does_not_finish_in_time_is_a_failed_attempt()
    {
        // A listener whose accept queue is full: Linux drops further SYNs, so a connect neither succeeds nor fails.
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        using var queued = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await queued.ConnectAsync(listener.LocalEndPoint!).WaitAsync(Timeouts.Event);
        var options = ClientFactory.Options(listener.LocalEndPoint!);
        options.ConnectTimeout = TimeSpan.FromMilliseconds(300);
        options.Reconnect.MaxAttempts = 2;
        await using var client = new TetherClient(options);
        var states = new StateRecorder(client);

        var error = await Assert.ThrowsAsync<TetherException>(() => client.ConnectAsync().WaitAsync(Timeouts.Event));

        Assert.Contains("timed out after 0.3 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("gave up after 2 attempts", error.Message, StringComparison.Ordinal);
        Assert.Contains("connecting to", states.Last(ClientState.Reconnecting)!.Exception?.Message, StringComparison.Ordinal);
    }
}
