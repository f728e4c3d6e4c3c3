using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Tether.Client;
using Tether.Protocol;
using Tether.Security;
using Tether.Server;
using Tether.Tests.Support;

namespace Tether.Tests.Security;

/// <summary>TLS listeners and clients: the protocol through TLS, certificates refused, client certificates, and time limits.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    public void Dispose() => _certificates.Dispose();

    [TlsFact]
    public async Task Messages_go_both_ways_through_tls_with_a_custom_ca()
    {
        using var certificate = _certificates.Server();
        await using var server = await StartAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
        await using var client = new TetherClient(TlsClient(server.EndPoint, CertificateTrust.FromCaFile(_certificates.CaFile)));
        await client.ConnectAsync();
        var connection = await server.Handler.NextConnectedAsync();

        // Large enough for several TLS records each way.
        var large = new byte[100_000];
        Random.Shared.NextBytes(large);
        await client.SendAsync(large);
        for (var i = 0; i < 20; i++)
        {
            await client.SendAsync(Encoding.UTF8.GetBytes($"m{i}"));
        }

        var (_, first) = await server.Handler.NextMessageAsync();
        Assert.Equal(large, first);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal($"m{i}", Encoding.UTF8.GetString((await server.Handler.NextMessageAsync()).Message));
        }

        await connection.SendAsync("from the server"u8.ToArray());
        await using var messages = client.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(Timeouts.Event));
        Assert.Equal(large, messages.Current.ToArray());

        // The connection reports the peer's real address and the listener's.
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)connection.RemoteEndPoint!).Address);
        Assert.Equal(server.EndPoint, connection.LocalEndPoint);
    }

    [TlsFact]
    public async Task A_server_certificate_from_another_ca_is_refused_once_with_auth_failed()
    {
        using var otherCa = new TestCertificates("Somebody Else's CA");
        using var certificate = otherCa.Server();
        await using var server = await StartAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
        await using var client = new TetherClient(TlsClient(server.EndPoint, CertificateTrust.FromCaFile(_certificates.CaFile)));
        var states = new StateRecorder(client);

        var error = await Assert.ThrowsAsync<TetherException>(() => client.ConnectAsync());

        Assert.Equal(CloseCode.AuthFailed, error.Code);
        Assert.Contains("TLS handshake", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, states.Count(ClientState.Reconnecting));

        // The server's side ends when the client's TLS stack walks away (it learns of it a moment later).
        await Eventually.WaitUntilAsync(() => server.Server.Connections.Count == 0);
    }

    [TlsFact]
    public async Task The_system_trust_store_refuses_a_private_ca_by_default()
    {
        using var certificate = _certificates.Server();
        await using var server = await StartAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
        await using var client = new TetherClient(TlsClient(server.EndPoint, validation: null));

        var error = await Assert.ThrowsAsync<TetherException>(() => client.ConnectAsync());

        Assert.Equal(CloseCode.AuthFailed, error.Code);
    }

    [TlsFact]
    public async Task A_required_client_certificate_lets_in_the_ca_s_clients_and_nobody_else()
    {
        using var certificate = _certificates.Server();
        using var clientCertificate = _certificates.Client();
        using var strangers = new TestCertificates("Strangers' CA");
        using var strangerCertificate = strangers.Client("stranger");
        await using var server = await StartAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = certificate,
            ClientCertificateRequired = true,
            RemoteCertificateValidationCallback = CertificateTrust.FromCaFile(_certificates.CaFile),
        });
        using var metrics = new MetricRecorder(server.Server.Metrics.Meter, "reason");

        var options = TlsClient(server.EndPoint, CertificateTrust.FromCaFile(_certificates.CaFile));
        options.Tls!.ClientCertificates = [clientCertificate];
        await using (var member = new TetherClient(options))
        {
            await member.ConnectAsync();
            Assert.Equal(ClientState.Connected, member.State);
        }

        foreach (var presented in new[] { null, strangerCertificate })
        {
            var refused = TlsClient(server.EndPoint, CertificateTrust.FromCaFile(_certificates.CaFile));
            refused.Reconnect.Enabled = false;
            refused.Tls!.ClientCertificates = presented is null ? null : [presented];
            await using var outsider = new TetherClient(refused);
            await Assert.ThrowsAnyAsync<TetherException>(() => outsider.ConnectAsync());
        }

        await Eventually.WaitUntilAsync(() => metrics.Sum("tether.handshakes.failed", "tls") == 2);
    }

    [TlsFact]
    public async Task A_peer_that_never_starts_tls_is_closed_at_the_handshake_timeout()
    {
        using var certificate = _certificates.Server();
        await using var server = await StartAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(500));
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.EndPoint);

        // Nothing is sent: the TLS handshake never begins, and the server's handshake clock runs out.
        await ReadToEndAsync(socket);
        await Eventually.WaitUntilAsync(() => server.Server.Connections.Count == 0);
    }

    [TlsFact]
    public async Task A_plaintext_hello_on_a_tls_listener_fails_the_tls_handshake_and_harms_nobody_else()
    {
        using var certificate = _certificates.Server();
        await using var server = await StartAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
        using var metrics = new MetricRecorder(server.Server.Metrics.Meter, "reason");
        await using var client = new TetherClient(TlsClient(server.EndPoint, CertificateTrust.FromCaFile(_certificates.CaFile)));
        await client.ConnectAsync();

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.EndPoint);
        var hello = new System.Buffers.ArrayBufferWriter<byte>();
        new HelloFrame { ClientId = "plain" }.Write(hello);
        await socket.SendAsync(hello.WrittenMemory);

        // The server's TLS stack answers with at most an alert, then closes.
        await ReadToEndAsync(socket);
        await Eventually.WaitUntilAsync(() => metrics.Sum("tether.handshakes.failed", "tls") == 1);
        await client.SendAsync("still here"u8.ToArray());
        Assert.Equal("still here", Encoding.UTF8.GetString((await server.Handler.NextMessageAsync()).Message));
    }

    [TlsFact]
    public async Task A_plain_line_listener_works_over_tls_too()
    {
        using var certificate = _certificates.Server();
        await using var server = await ServerFixture.StartAsync(o =>
        {
            o.EndPoints.Clear();
            o.Listen(new IPEndPoint(IPAddress.Loopback, 0), new Tether.Framing.LineFraming()).Tls = new SslServerAuthenticationOptions { ServerCertificate = certificate };
        });
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.EndPoint);
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = CertificateTrust.FromCaFile(_certificates.CaFile),
        });

        await tls.WriteAsync("hello over tls\n"u8.ToArray());
        using var reader = new StreamReader(tls, leaveOpen: true);
        var line = await reader.ReadLineAsync().WaitAsync(Timeouts.Event);

        Assert.Equal("hello over tls", line);
        Assert.Equal("hello over tls", Encoding.UTF8.GetString((await server.Handler.NextMessageAsync()).Message));
    }

    [TlsFact]
    public async Task Connections_aborted_while_records_flow_both_ways_end_cleanly_and_the_server_goes_on()
    {
        using var certificate = _certificates.Server();
        await using var server = await StartAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
        var payload = new byte[48 * 1024];
        Random.Shared.NextBytes(payload);
        for (var round = 0; round < 3; round++)
        {
            // Echoed messages keep a TLS read, a TLS write and often a waiting write in flight on every connection
            // when the server closes them all at once from other threads.
            var clients = new List<TetherClient>();
            var senders = new List<Task>();
            for (var i = 0; i < 12; i++)
            {
                var options = TlsClient(server.EndPoint, CertificateTrust.FromCaFile(_certificates.CaFile));
                options.Reconnect.Enabled = false;
                var client = new TetherClient(options);
                clients.Add(client);
                await client.ConnectAsync();
                senders.Add(SendUntilClosedAsync(client, payload));
                senders.Add(ReadUntilClosedAsync(client));
            }

            var connections = new List<TetherConnection>();
            for (var i = 0; i < clients.Count; i++)
            {
                connections.Add(await server.Handler.NextConnectedAsync());
            }

            await server.Handler.NextMessageAsync();
            await Task.WhenAll(connections.Select(c => Task.Run(c.Abort)));

            await Task.WhenAll(senders).WaitAsync(Timeouts.Event);
            await Eventually.WaitUntilAsync(() => server.Server.Connections.Count == 0);
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            while (server.Handler.TryGetDisconnected(out _))
            {
            }
        }

        await using var last = new TetherClient(TlsClient(server.EndPoint, CertificateTrust.FromCaFile(_certificates.CaFile)));
        await last.ConnectAsync();
        await last.SendAsync("after the aborts"u8.ToArray());
        await using var messages = last.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(Timeouts.Event));
        Assert.Equal("after the aborts", Encoding.UTF8.GetString(messages.Current.Span));
    }

    private static async Task ReadUntilClosedAsync(TetherClient client)
    {
        try
        {
            await foreach (var unused in client.ReadAllAsync())
            {
            }
        }
        catch (TetherException)
        {
        }
    }

    private static async Task SendUntilClosedAsync(TetherClient client, byte[] payload)
    {
        try
        {
            while (true)
            {
                await client.SendAsync(payload);
            }
        }
        catch (TetherException)
        {
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static async Task ReadToEndAsync(Socket socket)
    {
        var buffer = new byte[256];
        try
        {
            while (await socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(Timeouts.Event) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // A reset ends it as well.
        }
    }

    private static async Task<ServerFixture> StartAsync(SslServerAuthenticationOptions tls, Action<TetherServerOptions>? configure = null) =>
        await ServerFixture.StartAsync(o =>
        {
            o.EndPoints.Clear();
            o.Listen(new IPEndPoint(IPAddress.Loopback, 0)).Tls = tls;
            configure?.Invoke(o);
        });

    private static TetherClientOptions TlsClient(IPEndPoint endPoint, RemoteCertificateValidationCallback? validation)
    {
        var options = ClientFactory.Options(endPoint);
        options.Tls = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = validation };
        return options;
    }
}
