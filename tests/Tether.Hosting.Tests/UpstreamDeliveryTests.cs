using System.Text;
using Tether.Hosting.Tests.Support;
using Tether.TestSupport;

namespace Tether.Hosting.Tests;

/// <summary>Upstream delivery against a real HTTP endpoint: order, retries, the events' shapes.</summary>
public class UpstreamDeliveryTests
{
    [Fact]
    public async Task Every_message_reaches_the_endpoint_once_and_in_order_per_client()
    {
        await using var fixture = await UpstreamServer.StartAsync();
        var alice = await fixture.ConnectAsync("alice");
        var bob = await fixture.ConnectAsync("bob");

        await Task.WhenAll(SendAsync(alice, "a", 100), SendAsync(bob, "b", 100));

        await fixture.Endpoint.WaitUntilAsync(e => e.Delivered.Count(x => x.Type == "message") == 200, "200 messages delivered");
        var delivered = fixture.Endpoint.Delivered;
        AssertInOrder(delivered, "alice", "a", 100);
        AssertInOrder(delivered, "bob", "b", 100);
        Assert.All(fixture.Endpoint.Attempts, b => Assert.True(b.Delivered));
    }

    [Fact]
    public async Task While_the_endpoint_answers_503_batches_are_retried_and_then_every_message_arrives_in_order()
    {
        await using var fixture = await UpstreamServer.StartAsync();
        var client = await fixture.ConnectAsync("device-1");
        fixture.Endpoint.Status = 503;

        await SendAsync(client, "m", 50);
        await fixture.Endpoint.WaitUntilAsync(e => e.Attempts.Count(b => !b.Delivered) >= 3, "three failed attempts");
        fixture.Endpoint.Status = 200;

        await fixture.Endpoint.WaitUntilAsync(e => e.Delivered.Count(x => x.Type == "message") == 50, "50 messages delivered");
        AssertInOrder(fixture.Endpoint.Delivered, "device-1", "m", 50);

        // A retry resends the very batch that failed (same id), and a batch once accepted is never sent again.
        var attempts = fixture.Endpoint.Attempts;
        Assert.All(attempts.GroupBy(b => b.BatchId), g => Assert.Single(g, b => b.Delivered));
        Assert.All(attempts.Where(b => !b.Delivered), failed => Assert.Contains(attempts, b => b.Delivered && b.BatchId == failed.BatchId));
    }

    [Fact]
    public async Task A_stopped_endpoint_that_comes_back_on_its_address_gets_everything_in_order()
    {
        var port = FreePort();
        await using var fixture = await UpstreamServer.StartAsync(o => o.Url = $"http://127.0.0.1:{port}/events");
        var client = await fixture.ConnectAsync("device-2");
        await SendAsync(client, "m", 20);
        await Eventually.WaitUntilAsync(() => fixture.Handler.PendingBytes > 0, "events queued for the stopped endpoint");

        await using var revived = await UpstreamEndpoint.StartAsync(port);

        await revived.WaitUntilAsync(e => e.Delivered.Count(x => x.Type == "message") == 20, "20 messages delivered");
        AssertInOrder(revived.Delivered, "device-2", "m", 20);
    }

    [Fact]
    public async Task Connects_and_disconnects_are_events_too_with_the_close_reason()
    {
        await using var fixture = await UpstreamServer.StartAsync();
        var client = await fixture.ConnectAsync("sensor");
        await client.SendAsync("hello"u8.ToArray());
        await client.CloseAsync();

        await fixture.Endpoint.WaitUntilAsync(e => e.Delivered.Any(x => x.Type == "disconnect"), "the disconnect event");
        var events = fixture.Endpoint.Delivered;
        Assert.Equal(["connect", "message", "disconnect"], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal("sensor", e.ClientId));
        Assert.Single(events.Select(e => e.ConnectionId).Distinct());
        Assert.Single(events.Select(e => e.SessionId).Distinct());
        Assert.Equal("closed-by-peer", events[2].Reason);
        Assert.Equal(1000, events[2].CloseCode);
    }

    [Fact]
    public async Task Valid_UTF8_goes_as_data_and_anything_else_as_base64()
    {
        await using var fixture = await UpstreamServer.StartAsync();
        var client = await fixture.ConnectAsync("bin");
        await client.SendAsync(Encoding.UTF8.GetBytes("héllo ✓"));
        await client.SendAsync(new byte[] { 0xff, 0xfe, 0x00 });

        await fixture.Endpoint.WaitUntilAsync(e => e.Delivered.Count(x => x.Type == "message") == 2, "both messages");
        var messages = fixture.Endpoint.Delivered.Where(e => e.Type == "message").ToList();
        Assert.Equal(("héllo ✓", (string?)null), (messages[0].Data, messages[0].Base64));
        Assert.Equal(((string?)null, "//4A"), (messages[1].Data, messages[1].Base64));
    }

    [Fact]
    public async Task A_4xx_answer_drops_that_batch_and_the_next_ones_still_go()
    {
        await using var fixture = await UpstreamServer.StartAsync(o => o.BearerToken = "s3cret");
        var client = await fixture.ConnectAsync("c");
        await fixture.Endpoint.WaitUntilAsync(e => e.Delivered.Any(x => x.Type == "connect"), "the connect event");
        fixture.Endpoint.Status = 422;
        await client.SendAsync("refused"u8.ToArray());
        await fixture.Endpoint.WaitUntilAsync(e => e.Attempts.Any(b => b.Status == 422), "the rejected batch");
        fixture.Endpoint.Status = 200;

        await client.SendAsync("accepted"u8.ToArray());

        await fixture.Endpoint.WaitUntilAsync(e => e.Delivered.Any(x => x.Data == "accepted"), "the next message");
        Assert.Single(fixture.Endpoint.Attempts, b => b.Events.Any(x => x.Data == "refused"));
        Assert.DoesNotContain(fixture.Endpoint.Delivered, x => x.Data == "refused");
        Assert.All(fixture.Endpoint.Attempts, b => Assert.Equal("Bearer s3cret", b.Authorization));
    }

    internal static async Task SendAsync(Tether.Client.TetherClient client, string prefix, int count)
    {
        for (var i = 1; i <= count; i++)
        {
            await client.SendAsync(Encoding.UTF8.GetBytes($"{prefix}{i}"));
        }
    }

    internal static void AssertInOrder(IReadOnlyList<ReceivedEvent> delivered, string clientId, string prefix, int count)
    {
        var messages = delivered.Where(e => e.ClientId == clientId && e.Type == "message").ToList();
        Assert.Equal(Enumerable.Range(1, count).Select(i => $"{prefix}{i}"), messages.Select(m => m.Data));

        // The session numbers every message: 1, 2, 3 ... here, so a back end can drop what it has seen.
        Assert.Equal(Enumerable.Range(1, count).Select(i => (ulong?)(ulong)i), messages.Select(m => m.Seq));
        var connect = delivered.ToList().FindIndex(e => e.ClientId == clientId && e.Type == "connect");
        Assert.True(connect >= 0 && connect < delivered.ToList().IndexOf(messages[0]), "the connect event comes first");
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
