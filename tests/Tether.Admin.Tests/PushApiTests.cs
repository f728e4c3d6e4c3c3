using Tether.TestSupport;

namespace Tether.Admin.Tests;

public sealed class PushApiTests
{
    [Fact]
    public async Task A_push_reaches_the_client_as_text_or_bytes()
    {
        await using var host = await AdminHost.StartAsync();
        await using var client = await TestClient.ConnectAsync(host.TetherEndPoint, "dev-1");

        var (status, body) = await host.Http.PostAsync("/api/clients/dev-1/messages", """{"data":"héllo"}""");
        Assert.Equal(200, status);
        Assert.Equal("delivered", body.Text("status"));
        Assert.Equal("local", body.Text("node"));
        Assert.Equal("héllo", await client.ReceiveAsync());

        (status, _) = await host.Http.PostAsync("/api/clients/dev-1/messages", $$"""{"base64":"{{Convert.ToBase64String("bytes"u8)}}"}""");
        Assert.Equal(200, status);
        Assert.Equal("bytes", await client.ReceiveAsync());
    }

    [Fact]
    public async Task A_push_to_an_unknown_client_is_404_unknown()
    {
        await using var host = await AdminHost.StartAsync();
        var (status, body) = await host.Http.PostAsync("/api/clients/nobody/messages", """{"data":"x"}""");
        Assert.Equal(404, status);
        Assert.Equal("unknown", body.Text("status"));
        Assert.Contains("nobody", body.Text("error"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"data":"x","base64":"eA=="}""", "exactly one")]
    [InlineData("""{}""", "exactly one")]
    [InlineData("""{"base64":"not base64!"}""", "not valid base64")]
    [InlineData("""{"data":""", "not the JSON expected")]
    [InlineData("""null""", "JSON null")]
    public async Task A_bad_body_is_400_with_one_line(string json, string expected)
    {
        await using var host = await AdminHost.StartAsync();
        var (status, body) = await host.Http.PostAsync("/api/clients/dev-1/messages", json);
        Assert.Equal(400, status);
        Assert.Contains(expected, body.Text("error"), StringComparison.Ordinal);
        Assert.DoesNotContain('\n', body.Text("error"));
    }

    [Fact]
    public async Task A_reliable_push_to_a_client_without_a_session_is_refused()
    {
        await using var host = await AdminHost.StartAsync();
        await using var client = await TestClient.ConnectAsync(host.TetherEndPoint, "plain-1", sessions: false);
        var (status, body) = await host.Http.PostAsync("/api/clients/plain-1/messages", """{"data":"x","reliable":true}""");
        Assert.Equal(409, status);
        Assert.Contains("without a reliable session", body.Text("error"), StringComparison.Ordinal);

        (status, body) = await host.Http.PostAsync("/api/clients/plain-1/messages", """{"data":"x","waitForAck":true}""");
        Assert.Equal(409, status);
    }

    [Fact]
    public async Task A_reliable_push_is_kept_in_the_session_and_delivered_after_a_reconnect()
    {
        await using var host = await AdminHost.StartAsync();
        await using var client = await TestClient.ConnectAsync(host.TetherEndPoint, "dev-r", reconnectDelay: TimeSpan.FromSeconds(2));
        Assert.True(host.Server.Connections.TryGetByClientId("dev-r", out var connection));
        Assert.True(host.Server.Sessions.TryGetByClientId("dev-r", out var session));

        connection.Abort();
        await Eventually.WaitUntilAsync(() => !session.IsAttached, "the session detached");
        var (status, body) = await host.Http.PostAsync("/api/clients/dev-r/messages", """{"data":"kept","reliable":true}""");
        Assert.Equal(200, status);

        // Queued in the detached session, unless the client's reconnect (full jitter: possibly at once) came first.
        Assert.Contains(body.Text("status"), new[] { "queued", "delivered" });
        Assert.Equal("kept", await client.ReceiveAsync());
        Assert.True(session.IsAttached);
    }

    [Fact]
    public async Task Wait_for_ack_answers_once_the_client_acknowledged()
    {
        await using var host = await AdminHost.StartAsync();
        await using var client = await TestClient.ConnectAsync(host.TetherEndPoint, "dev-a");
        var (status, body) = await host.Http.PostAsync("/api/clients/dev-a/messages", """{"data":"ack me","waitForAck":true}""");
        Assert.Equal(200, status);
        Assert.Equal("delivered", body.Text("status"));
        Assert.True(body.GetProperty("acknowledged").GetBoolean());
        Assert.True(host.Server.Sessions.TryGetByClientId("dev-a", out var session));
        Assert.Equal(session.LastSentSequence, session.AcknowledgedSequence);
        Assert.Equal("ack me", await client.ReceiveAsync());
    }

    [Fact]
    public async Task Wait_for_ack_times_out_with_504_when_the_client_does_not_acknowledge()
    {
        await using var host = await AdminHost.StartAsync(o => o.AckTimeout = TimeSpan.FromSeconds(1));
        await using var client = await TestClient.ConnectAsync(host.TetherEndPoint, "dev-stuck", reconnect: false);
        Assert.True(host.Server.Connections.TryGetByClientId("dev-stuck", out var connection));
        Assert.True(host.Server.Sessions.TryGetByClientId("dev-stuck", out var session));
        connection.Abort();
        await Eventually.WaitUntilAsync(() => !session.IsAttached, "the session detached");

        // Away and not coming back: nobody acknowledges.
        var (status, body) = await host.Http.PostAsync("/api/clients/dev-stuck/messages", """{"data":"never acked","waitForAck":true}""");
        Assert.Equal(504, status);
        Assert.Equal("queued", body.Text("status"));
        Assert.Contains("did not acknowledge", body.Text("error"), StringComparison.Ordinal);
        Assert.Equal(1, session.UnacknowledgedMessages);
    }

    [Fact]
    public async Task Broadcast_reaches_everyone_and_group_pushes_reach_members()
    {
        await using var host = await AdminHost.StartAsync();
        await using var a = await TestClient.ConnectAsync(host.TetherEndPoint, "a");
        await using var b = await TestClient.ConnectAsync(host.TetherEndPoint, "b");

        var (status, body) = await host.Http.PostAsync("/api/broadcast", """{"data":"all"}""");
        Assert.Equal(200, status);
        Assert.Equal(2, body.GetProperty("count").GetInt32());
        Assert.Equal("all", await a.ReceiveAsync());
        Assert.Equal("all", await b.ReceiveAsync());

        (status, body) = await host.Http.SendAsync(HttpMethod.Put, "/api/clients/a/groups/blue");
        Assert.Equal(200, status);
        Assert.True(body.GetProperty("member").GetBoolean());

        (status, body) = await host.Http.PostAsync("/api/groups/blue/messages", """{"data":"blue only"}""");
        Assert.Equal(200, status);
        Assert.Equal(1, body.GetProperty("count").GetInt32());
        Assert.Equal("blue only", await a.ReceiveAsync());

        (status, body) = await host.Http.SendAsync(HttpMethod.Delete, "/api/clients/a/groups/blue");
        Assert.Equal(200, status);
        Assert.False(body.GetProperty("member").GetBoolean());
        (_, body) = await host.Http.PostAsync("/api/groups/blue/messages", """{"data":"nobody"}""");
        Assert.Equal(0, body.GetProperty("count").GetInt32());

        // b never got the group's message: its next message is this one.
        await host.Http.PostAsync("/api/broadcast", """{"data":"second"}""");
        Assert.Equal("second", await b.ReceiveAsync());
        Assert.Equal("second", await a.ReceiveAsync());
    }

    [Fact]
    public async Task A_bad_group_name_is_400()
    {
        await using var host = await AdminHost.StartAsync();
        var (status, body) = await host.Http.SendAsync(HttpMethod.Put, $"/api/clients/a/groups/{new string('g', 201)}");
        Assert.Equal(400, status);
        Assert.DoesNotContain("Parameter", body.Text("error"), StringComparison.Ordinal);
    }
}
