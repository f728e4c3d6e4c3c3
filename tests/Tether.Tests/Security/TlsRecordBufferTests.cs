using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Tether.Security;
using Tether.Tests.Support;
using Tether.Transport.Tls;

namespace Tether.Tests.Security;

/// <summary>OpenSSL's record buffers released while a TLS connection is idle (SSL_MODE_RELEASE_BUFFERS).</summary>
public sealed class TlsRecordBufferTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    public void Dispose() => _certificates.Dispose();

    [TlsFact]
    public async Task Release_is_off_by_default_applies_on_linux_when_asked_and_records_still_flow_both_ways()
    {
        using var certificate = _certificates.Server();
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var clientSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await clientSocket.ConnectAsync(listener.LocalEndPoint!);
        using var serverSocket = await listener.AcceptAsync();
        await using var server = new SslStream(new NetworkStream(serverSocket));
        await using var client = new SslStream(new NetworkStream(clientSocket), false, CertificateTrust.FromCaFile(_certificates.CaFile));
        await Task.WhenAll(
            server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }),
            client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" })).WaitAsync(Timeouts.Event);

        // Off unless the switch says so (this test leaves the process-wide switch alone).
        if (!AppContext.TryGetSwitch(OpenSslRecordBuffers.SwitchName, out var on) || !on)
        {
            Assert.False(OpenSslRecordBuffers.TryRelease(server));
        }

        // On Linux SslStream runs on OpenSSL, so the mode can be set; elsewhere there is nothing to set.
        Assert.Equal(OperatingSystem.IsLinux(), OpenSslRecordBuffers.TrySetReleaseMode(server));
        Assert.Equal(OperatingSystem.IsLinux(), OpenSslRecordBuffers.TrySetReleaseMode(client));

        // Buffers are now allocated per record and freed after it: small and multi-record messages, both ways, twice.
        var large = new byte[100_000];
        Random.Shared.NextBytes(large);
        for (var round = 0; round < 2; round++)
        {
            foreach (var (from, to) in new[] { (client, server), (server, client) })
            {
                await from.WriteAsync("hello"u8.ToArray());
                await from.WriteAsync(large);
                var received = new byte[5 + large.Length];
                await to.ReadExactlyAsync(received).AsTask().WaitAsync(Timeouts.Event);
                Assert.Equal("hello"u8.ToArray(), received[..5]);
                Assert.Equal(large, received[5..]);
            }
        }
    }
}
