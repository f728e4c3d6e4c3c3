using System.Net;
using System.Text.Json;
using Tether.Protocol;
using Tether.TestSupport;

namespace Tether.Admin.Tests;

public sealed class ClientApiTests
{
    [Fact]
    public async Task Clients_are_listed_a_page_at_a_time()
    {
        await using var host = await AdminHost.StartAsync();
        await using var a = await TestClient.ConnectAsync(host.TetherEndPoint, "c1");
        await using var b = await TestClient.ConnectAsync(host.TetherEndPoint, "c2");
        await using var c = await TestClient.ConnectAsync(host.TetherEndPoint, "c3");

        var (status, first) = await host.Http.GetJsonAsync("/api/clients?limit=2");
        Assert.Equal(200, status);
        Assert.Equal(2, first.GetProperty("clients").GetArrayLength());
        var cursor = first.Text("nextCursor");

        var (_, second) = await host.Http.GetJsonAsync($"/api/clients?limit=2&cursor={cursor}");
        Assert.Equal(1, second.GetProperty("clients").GetArrayLength());
        Assert.False(second.TryGetProperty("nextCursor", out _));

        var all = Ids(first).Concat(Ids(second)).Order().ToArray();
        Assert.Equal(["c1", "c2", "c3"], all);

        var (_, page2) = await host.Http.GetJsonAsync("/api/clients?page=2&pageSize=2");
        Assert.Equal(Ids(second), Ids(page2));

        var (_, everyone) = await host.Http.GetJsonAsync("/api/clients");
        Assert.Equal(3, everyone.GetProperty("clients").GetArrayLength());

        var (bad, error) = await host.Http.GetJsonAsync("/api/clients?limit=0");
        Assert.Equal(400, bad);
        Assert.Contains("limit", error.Text("error"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_clients_details_show_where_it_is_its_traffic_session_and_groups()
    {
        await using var host = await AdminHost.StartAsync();
        await using var client = await TestClient.ConnectAsync(host.TetherEndPoint, "dev-d");
        await client.Client.SendAndWaitForAckAsync("up"u8.ToArray());
        await host.Http.SendAsync(HttpMethod.Put, "/api/clients/dev-d/groups/red");
        await host.Http.PostAsync("/api/clients/dev-d/messages", """{"data":"down","waitForAck":true}""");

        var (status, body) = await host.Http.GetJsonAsync("/api/clients/dev-d");
        Assert.Equal(200, status);
        Assert.Equal("dev-d", body.Text("clientId"));
        Assert.Equal("local", body.Text("node"));
        Assert.True(body.GetProperty("connected").GetBoolean());
        Assert.StartsWith("127.0.0.1:", body.Text("remoteAddress"), StringComparison.Ordinal);
        Assert.True(body.GetProperty("connectedSince").GetDateTimeOffset() <= DateTimeOffset.UtcNow);
        Assert.True(body.GetProperty("bytesIn").GetInt64() > 0);
        Assert.True(body.GetProperty("bytesOut").GetInt64() > 0);
        Assert.Equal(1, body.GetProperty("messagesIn").GetInt64());
        Assert.Equal(1, body.GetProperty("messagesOut").GetInt64());
        Assert.True(body.GetProperty("pendingBytes").GetInt32() >= 0);
        Assert.Equal(client.Client.SessionId.ToString(), body.Text("sessionId"));
        Assert.Equal("attached", body.Text("sessionState"));
        Assert.Equal(["red"], body.GetProperty("groups").EnumerateArray().Select(g => g.GetString()!).ToArray());
    }

    [Fact]
    public async Task An_unknown_client_is_404()
    {
        await using var host = await AdminHost.StartAsync();
        var (status, body) = await host.Http.GetJsonAsync("/api/clients/ghost");
        Assert.Equal(404, status);
        Assert.Contains("ghost", body.Text("error"), StringComparison.Ordinal);

        (status, _) = await host.Http.SendAsync(HttpMethod.Delete, "/api/clients/ghost");
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task Delete_disconnects_the_client_with_the_code_and_reason_given()
    {
        await using var host = await AdminHost.StartAsync();
        await using var client = await TestClient.ConnectAsync(host.TetherEndPoint, "dev-k", reconnect: false);
        Assert.True(host.Server.Connections.TryGetByClientId("dev-k", out var connection));

        var (status, body) = await host.Http.SendAsync(HttpMethod.Delete, "/api/clients/dev-k?code=4001&reason=maintenance");
        Assert.Equal(200, status);
        Assert.Equal("disconnected", body.Text("status"));
        Assert.Equal(4001, body.GetProperty("code").GetInt32());

        await Eventually.WaitUntilAsync(() => connection.State != Server.ConnectionState.Open, "the connection closed");
        Assert.Equal((CloseCode)4001, connection.DisconnectInfo!.Code);
        Assert.Equal("maintenance", connection.DisconnectInfo.Description);

        (status, body) = await host.Http.SendAsync(HttpMethod.Delete, "/api/clients/dev-k?code=99");
        Assert.Equal(400, status);
        Assert.Contains("1000 to 4999", body.Text("error"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_every_path()
    {
        await using var host = await AdminHost.StartAsync();
        var (status, body) = await host.Http.GetJsonAsync("/openapi/v1.json");
        Assert.Equal(200, status);
        var paths = body.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Superset(
            new HashSet<string>
            {
                "/api/info",
                "/api/clients",
                "/api/clients/{clientId}",
                "/api/clients/{clientId}/messages",
                "/api/clients/{clientId}/groups/{group}",
                "/api/groups/{group}/messages",
                "/api/broadcast",
            },
            paths);
        var client = body.GetProperty("paths").GetProperty("/api/clients/{clientId}");
        Assert.True(client.TryGetProperty("get", out _));
        Assert.True(client.TryGetProperty("delete", out _));
    }

    [Theory]
    [InlineData("GET", "/api/clients")]
    [InlineData("GET", "/api/clients/x")]
    [InlineData("DELETE", "/api/clients/x")]
    [InlineData("POST", "/api/clients/x/messages")]
    [InlineData("POST", "/api/broadcast")]
    [InlineData("POST", "/api/groups/g/messages")]
    [InlineData("PUT", "/api/clients/x/groups/g")]
    [InlineData("GET", "/openapi/v1.json")]
    [InlineData("GET", "/no/such/path")]
    public async Task Every_request_but_health_needs_the_key(string method, string path)
    {
        await using var host = await AdminHost.StartAsync();
        using var anonymous = host.AnonymousClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = ApiTestSupport.Json("""{"data":"x"}""") };
        using var response = await anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(error.RootElement.TryGetProperty("error", out _));
    }

    private static string[] Ids(JsonElement page) => [.. page.GetProperty("clients").EnumerateArray().Select(c => c.GetString()!)];
}
