using System.Net;
using System.Text;
using Tether.Client;
using Tether.Hosting.Auth;
using Tether.Hosting.Tests.Support;
using Tether.Protocol;
using Tether.Server;

namespace Tether.Hosting.Tests;

/// <summary>Connect authorisation through a real HTTP back end: allow, deny, down, cache.</summary>
public sealed class AuthHttpConnectTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];
    private UpstreamEndpoint _endpoint = null!;

    public async Task InitializeAsync() => _endpoint = await UpstreamEndpoint.StartAsync();

    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        await _endpoint.DisposeAsync();
    }

    [Fact]
    public async Task An_allowed_client_connects_under_the_id_the_back_end_gives_and_the_back_end_sees_the_hello()
    {
        _endpoint.AuthAnswer = """{"allow": true, "clientId": "user-7"}""";
        var server = await StartServerAsync();

        var client = await ConnectAsync(server, "claimed", "tok-1");

        var connection = Assert.Single(server.Connections);
        Assert.Equal("user-7", connection.ClientId);
        Assert.Equal(ClientState.Connected, client.State);
        var request = Assert.Single(_endpoint.AuthRequests);
        Assert.Equal("claimed", request.GetProperty("clientId").GetString());
        Assert.Equal("tok-1", request.GetProperty("token").GetString());
        Assert.StartsWith("127.0.0.1:", request.GetProperty("remoteAddress").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_denied_client_is_closed_with_AUTH_FAILED_and_the_back_ends_reason()
    {
        _endpoint.AuthAnswer = """{"allow": false, "reason": "banned until Monday"}""";
        var server = await StartServerAsync();

        var error = await Assert.ThrowsAsync<TetherException>(() => ConnectAsync(server, "bad", "tok"));

        Assert.Equal(CloseCode.AuthFailed, error.Code);
        Assert.Contains("banned until Monday", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Connections, c => c.State == ConnectionState.Open);
    }

    [Theory]
    [InlineData("503")]
    [InlineData("stopped")]
    [InlineData("garbage")]
    public async Task An_endpoint_that_cannot_answer_refuses_the_client_with_SERVER_BUSY_and_a_retry_hint(string failure)
    {
        var options = Options();
        switch (failure)
        {
            case "503":
                _endpoint.AuthStatus = 503;
                break;
            case "stopped":
                options.Url = $"http://127.0.0.1:{FreePort()}/auth";
                break;
            default:
                _endpoint.AuthAnswer = "<html>oops</html>";
                break;
        }

        var server = await StartServerAsync(options);

        var error = await Assert.ThrowsAsync<TetherException>(() => ConnectAsync(server, "x", "tok", maxAttempts: 1));

        var refusal = Assert.IsType<TetherException>(error.InnerException);
        Assert.Equal(CloseCode.ServerBusy, refusal.Code);
        Assert.Equal(TimeSpan.FromMilliseconds(300), refusal.RetryAfter);
        Assert.DoesNotContain(server.Connections, c => c.State == ConnectionState.Open);
    }

    [Fact]
    public async Task A_refused_client_comes_back_after_the_hint_and_gets_in_once_the_endpoint_answers()
    {
        _endpoint.AuthStatus = 503;
        var server = await StartServerAsync();
        var connecting = ConnectAsync(server, "patient", "tok");
        await _endpoint.WaitUntilAsync(e => e.AuthRequests.Count >= 1, "the first auth call");

        _endpoint.AuthStatus = 200;
        await connecting.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(_endpoint.AuthRequests.Count >= 2);
        Assert.Equal("patient", Assert.Single(server.Connections).ClientId);
    }

    [Fact]
    public async Task A_cached_answer_spares_the_second_call_for_the_same_token_and_id()
    {
        var server = await StartServerAsync();

        await (await ConnectAsync(server, "same", "tok-a")).CloseAsync();
        await (await ConnectAsync(server, "same", "tok-a")).CloseAsync();
        Assert.Single(_endpoint.AuthRequests);

        await ConnectAsync(server, "same", "tok-b");
        Assert.Equal(2, _endpoint.AuthRequests.Count);
    }

    [Fact]
    public async Task A_binary_token_goes_as_base64()
    {
        var server = await StartServerAsync();

        await ConnectAsync(server, "bin", token: null, rawToken: [0xff, 0x00, 0x01]);

        Assert.Equal("/wAB", Assert.Single(_endpoint.AuthRequests).GetProperty("tokenBase64").GetString());
    }

    private HttpConnectAuthOptions Options() => new()
    {
        Url = _endpoint.AuthUrl,
        RetryAfter = TimeSpan.FromMilliseconds(300),
        RetryAfterJitter = TimeSpan.Zero,
    };

    private async Task<TetherServer> StartServerAsync(HttpConnectAuthOptions? auth = null)
    {
        var authenticator = new HttpConnectAuthenticator(auth ?? Options());
        var options = new TetherServerOptions { CloseLinger = TimeSpan.FromSeconds(1), Authenticator = authenticator };
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        var server = new TetherServer(options, new EchoHandler());
        await server.StartAsync();
        _owned.Add(new DisposeAction(authenticator.Dispose));
        _owned.Add(server);
        return server;
    }

    private async Task<TetherClient> ConnectAsync(TetherServer server, string clientId, string? token, int? maxAttempts = null, byte[]? rawToken = null)
    {
        var options = new TetherClientOptions
        {
            ClientId = clientId,
            Token = rawToken ?? Encoding.UTF8.GetBytes(token ?? string.Empty),
            CloseLinger = TimeSpan.FromMilliseconds(500),
            Reconnect = new ReconnectOptions { BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200), MaxAttempts = maxAttempts },
        };
        options.EndPoints.Add(server.LocalEndPoints[0]);
        var client = new TetherClient(options);
        _owned.Add(client);
        await client.ConnectAsync();
        return client;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class EchoHandler : TetherServerHandler;

    private sealed class DisposeAction(Action dispose) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            dispose();
            return ValueTask.CompletedTask;
        }
    }
}
