using System.Text;
using Tether.Client;
using Tether.Tests.Support;

namespace Tether.Tests.Client;

/// <summary>A graceful close waits for acknowledgements, bounded, and reports what never got one: loss is never silent.</summary>
public sealed class GracefulCloseTests
{
    [Fact]
    public async Task A_graceful_close_waits_until_everything_is_acknowledged()
    {
        await using var server = await ServerFixture.StartAsync(handler: new RecordingHandler { Echo = false });
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint));
        await client.ConnectAsync();
        for (var i = 0; i < 10; i++)
        {
            await client.SendAsync(Encoding.UTF8.GetBytes($"m{i}"));
        }

        var result = await client.CloseAsync(Timeouts.Event);

        Assert.True(result.Complete);
        Assert.Equal(0, result.Unacknowledged);
        Assert.Empty(result.UnacknowledgedMessages);
        Assert.Equal(ClientState.Closed, client.State);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal($"m{i}", Encoding.UTF8.GetString((await server.Handler.NextMessageAsync()).Message));
        }
    }

    [Fact]
    public async Task Behind_a_silent_path_a_graceful_close_reports_the_unacknowledged_messages()
    {
        await using var setup = await ProxiedClient.ConnectAsync();
        var (server, proxy, client) = (setup.Server, setup.Proxy, setup.Client);
        await client.SendAsync("one"u8.ToArray());
        await client.SendAndWaitForAckAsync("acknowledged"u8.ToArray()).WaitAsync(Timeouts.Event);

        proxy.BlackHole();
        await client.SendAsync("two"u8.ToArray());
        await client.SendAsync("three"u8.ToArray());
        var result = await client.CloseAsync(TimeSpan.FromMilliseconds(200));

        Assert.False(result.Complete);
        Assert.Equal(2, result.Unacknowledged);
        Assert.Equal(["two", "three"], result.UnacknowledgedMessages.Select(m => Encoding.UTF8.GetString(m.Span)));
        Assert.Equal(ClientState.Closed, client.State);
    }

    [Fact]
    public async Task Cancelling_a_graceful_close_closes_at_once_and_still_reports()
    {
        await using var setup = await ProxiedClient.ConnectAsync();
        var (proxy, client) = (setup.Proxy, setup.Client);
        proxy.BlackHole();
        await client.SendAsync("stuck"u8.ToArray());
        using var cancel = new CancellationTokenSource();
        var closing = client.CloseAsync(Timeout.InfiniteTimeSpan, cancel.Token);
        Assert.False(closing.IsCompleted);

        await cancel.CancelAsync();
        var result = await closing.WaitAsync(Timeouts.Event);

        Assert.Equal(1, result.Unacknowledged);
        Assert.Equal(ClientState.Closed, client.State);
    }
}
