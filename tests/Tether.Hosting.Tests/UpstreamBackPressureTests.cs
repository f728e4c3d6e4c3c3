using System.Text;
using Tether.Hosting.Tests.Support;
using Tether.TestSupport;

namespace Tether.Hosting.Tests;

/// <summary>A slow or down endpoint pauses the clients that send too much, instead of dropping or buffering without bound.</summary>
public class UpstreamBackPressureTests
{
    private const int Budget = 8 * 1024;
    private const int MessageSize = 1024;
    private const int Messages = 2000;

    [Fact]
    public async Task A_client_over_its_budget_is_not_read_from_until_the_endpoint_takes_its_events_then_all_arrive_in_order()
    {
        await using var fixture = await UpstreamServer.StartAsync(o => o.MaxPendingBytesPerClient = Budget);
        var client = await fixture.ConnectAsync("chatty", o => o.Sessions.MaxUnacknowledgedBytes = 256 * 1024);
        var quiet = await fixture.ConnectAsync("quiet");
        await fixture.Endpoint.WaitUntilAsync(e => e.Delivered.Count(x => x.Type == "connect") == 2, "both connect events");
        fixture.Endpoint.Status = 503;

        // 2 MB: far more than the budget, the client's session window (256 KB) and what the sockets hold together.
        var sending = SendPaddedAsync(client, Messages);

        await Eventually.WaitUntilAsync(() => fixture.Handler.PausedClients == 1, "the client paused");
        Assert.InRange(fixture.Handler.PendingBytes, Budget, Budget + (2 * (MessageSize + 512)));
        Assert.False(sending.IsCompleted, "the client's sends stop completing while it is paused");

        // One client's pause is its own: the other is still read from, and its message queued (behind the chatty
        // client's batch, which is retried first: one queue, one batch in flight).
        var before = fixture.Handler.PendingBytes;
        await quiet.SendAsync("still here"u8.ToArray());
        await Eventually.WaitUntilAsync(() => fixture.Handler.PendingBytes > before, "the quiet client's message queued");
        Assert.Equal(1, fixture.Handler.PausedClients);

        fixture.Endpoint.Status = 200;
        await sending.WaitAsync(TimeSpan.FromSeconds(60));
        await fixture.Endpoint.WaitUntilAsync(e => e.Delivered.Count(x => x.ClientId == "chatty" && x.Type == "message") == Messages, "every message delivered");
        Assert.Single(fixture.Endpoint.Delivered, x => x.Data == "still here");

        var data = fixture.Endpoint.Delivered.Where(x => x.ClientId == "chatty" && x.Type == "message").Select(x => x.Data![..8]).ToList();
        Assert.Equal(Enumerable.Range(1, Messages).Select(Prefix), data);
        Assert.Equal(0, fixture.Handler.PausedClients);
    }

    [Fact]
    public async Task The_total_budget_pauses_every_sending_client()
    {
        await using var fixture = await UpstreamServer.StartAsync(o =>
        {
            o.MaxPendingBytesPerClient = Budget;
            o.MaxPendingBytes = Budget;
        });
        var first = await fixture.ConnectAsync("first");
        var second = await fixture.ConnectAsync("second");
        await fixture.Endpoint.WaitUntilAsync(e => e.Delivered.Count(x => x.Type == "connect") == 2, "both connect events");
        fixture.Endpoint.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var sending = Task.WhenAll(SendPaddedAsync(first, 200), SendPaddedAsync(second, 200));

        await Eventually.WaitUntilAsync(() => fixture.Handler.PausedClients == 2, "both clients paused");
        Assert.InRange(fixture.Handler.PendingBytes, Budget, Budget + (3 * (MessageSize + 512)));

        fixture.Endpoint.Gate.SetResult();
        fixture.Endpoint.Gate = null;
        await sending.WaitAsync(TimeSpan.FromSeconds(60));
        await fixture.Endpoint.WaitUntilAsync(e => e.Delivered.Count(x => x.Type == "message") == 400, "every message delivered");
    }

    private static string Prefix(int i) => i.ToString("D8", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task SendPaddedAsync(Tether.Client.TetherClient client, int count)
    {
        var padding = new string('x', MessageSize - 8);
        for (var i = 1; i <= count; i++)
        {
            await client.SendAsync(Encoding.ASCII.GetBytes(Prefix(i) + padding));
        }
    }
}
