using System.Text.Json;
using Tether.TestSupport;

namespace Tether.Cli.Tests;

/// <summary><c>tether cert create</c>, <c>tether serve --tls-cert/--tls-key</c> and <c>tether connect --tls --ca</c> together.</summary>
public sealed class TlsEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tether-tls-test-").FullName;

    private string PortFile => Path.Combine(_dir, "port");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [TlsFact]
    public async Task A_created_certificate_serves_tls_that_its_own_file_trusts_and_another_does_not()
    {
        var cert = Path.Combine(_dir, "cert.pem");
        var key = Path.Combine(_dir, "key.pem");
        var otherCert = Path.Combine(_dir, "other.pem");
        await CreateAsync(cert, key);
        await CreateAsync(otherCert, Path.Combine(_dir, "other-key.pem"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        }

        await using var server = CliProcess.Start("serve", "--listen", "127.0.0.1:0", "--port-file", PortFile, "--tls-cert", cert, "--tls-key", key);
        await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on 127.0.0.1:", StringComparison.Ordinal) && line.Contains("over TLS", StringComparison.Ordinal));
        var port = File.ReadAllLines(PortFile)[0];

        await using (var client = CliProcess.Start("connect", $"127.0.0.1:{port}", "--json", "--ca", cert))
        {
            await client.WaitForStdoutAsync(line => line.Contains("\"event\":\"connected\"", StringComparison.Ordinal));
            await client.Stdin.WriteLineAsync("secret message");
            await client.Stdin.FlushAsync();
            await client.WaitForStdoutAsync(line => line.Contains("secret message", StringComparison.Ordinal));
            client.Stdin.Close();
            Assert.Equal(0, await client.WaitForExitAsync());
        }

        await using (var client = CliProcess.Start("connect", $"127.0.0.1:{port}", "--json", "--ca", otherCert))
        {
            client.Stdin.Close();
            Assert.Equal(ExitCodes.Failure, await client.WaitForExitAsync());
            var line = Assert.Single(client.StderrLines);
            Assert.Contains("TLS handshake", line, StringComparison.Ordinal);
            Assert.DoesNotContain(client.StdoutLines, l => JsonDocument.Parse(l).RootElement.GetProperty("event").GetString() == "reconnecting");
        }

        server.Signal(CliProcess.SigTerm);
        Assert.Equal(0, await server.WaitForExitAsync());
    }

    [TlsFact]
    public async Task Insecure_connects_to_any_certificate_and_says_so()
    {
        var cert = Path.Combine(_dir, "cert.pem");
        var key = Path.Combine(_dir, "key.pem");
        await CreateAsync(cert, key);
        await using var server = CliProcess.Start("serve", "--listen", "127.0.0.1:0,tls", "--listen", "127.0.0.1:0", "--port-file", PortFile, "--tls-cert", cert, "--tls-key", key);
        await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on", StringComparison.Ordinal));
        var ports = File.ReadAllLines(PortFile);

        await using (var client = CliProcess.Start("connect", $"127.0.0.1:{ports[0]}", "--json", "--insecure"))
        {
            await client.WaitForStdoutAsync(line => line.Contains("\"event\":\"connected\"", StringComparison.Ordinal));
            client.Stdin.Close();
            Assert.Equal(0, await client.WaitForExitAsync());
            Assert.Contains(client.StderrLines, line => line.Contains("WARNING: --insecure", StringComparison.Ordinal));
        }

        // The second listener has no ',tls': plain TCP next to TLS.
        await using (var plain = CliProcess.Start("connect", $"127.0.0.1:{ports[1]}", "--json"))
        {
            await plain.WaitForStdoutAsync(line => line.Contains("\"event\":\"connected\"", StringComparison.Ordinal));
            plain.Stdin.Close();
            Assert.Equal(0, await plain.WaitForExitAsync());
        }

        server.Signal(CliProcess.SigTerm);
        Assert.Equal(0, await server.WaitForExitAsync());
    }

    [TlsFact]
    public async Task A_plain_client_at_a_tls_listener_is_asked_whether_it_meant_tls()
    {
        var cert = Path.Combine(_dir, "cert.pem");
        var key = Path.Combine(_dir, "key.pem");
        await CreateAsync(cert, key);
        await using var server = CliProcess.Start("serve", "--listen", "127.0.0.1:0,tls", "--port-file", PortFile, "--tls-cert", cert, "--tls-key", key);
        await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on", StringComparison.Ordinal));
        var port = File.ReadAllLines(PortFile)[0];

        await using (var client = CliProcess.Start("connect", $"127.0.0.1:{port}", "--max-attempts", "1"))
        {
            client.Stdin.Close();
            Assert.Equal(ExitCodes.Failure, await client.WaitForExitAsync());
            Assert.Equal($"tether: 127.0.0.1:{port} closed the connection during the handshake (is it a TLS listener? try --tls) (gave up after 1 attempt)", client.StderrLines[^1]);
        }

        server.Signal(CliProcess.SigTerm);
        Assert.Equal(0, await server.WaitForExitAsync());
    }

    [Theory]
    [InlineData("tether: --listen 127.0.0.1:0,tls needs --tls-cert (and --tls-key for a PEM certificate)", "serve", "--listen", "127.0.0.1:0,tls")]
    [InlineData("tether: --tls-key and --tls-client-ca need --tls-cert", "serve", "--tls-key", "k.pem")]
    [InlineData("tether: --ca and --insecure contradict each other: --insecure checks nothing", "connect", "127.0.0.1:1", "--ca", "ca.pem", "--insecure")]
    public async Task Inconsistent_tls_options_get_one_line(string expected, params string[] args)
    {
        await using var process = CliProcess.Start(args);
        process.Stdin.Close();

        Assert.Equal(ExitCodes.Usage, await process.WaitForExitAsync());
        Assert.Equal([expected], process.StderrLines);
    }

    [Fact]
    public async Task Cert_create_does_not_overwrite_without_force()
    {
        var cert = Path.Combine(_dir, "cert.pem");
        var key = Path.Combine(_dir, "key.pem");
        await CreateAsync(cert, key);

        await using var again = CliProcess.Start("cert", "create", "--cert", cert, "--key", key);
        Assert.Equal(ExitCodes.Usage, await again.WaitForExitAsync());
        Assert.Equal([$"tether: {cert} exists (use --force to overwrite it)"], again.StderrLines);

        await using var forced = CliProcess.Start("cert", "create", "--cert", cert, "--key", key, "--force", "--name", "example.test");
        Assert.Equal(0, await forced.WaitForExitAsync());
    }

    [TlsFact]
    public async Task A_tls_connection_costs_the_server_one_file_descriptor()
    {
        if (!Directory.Exists("/proc/self/fd"))
        {
            return;
        }

        const int connections = 100;
        var cert = Path.Combine(_dir, "cert.pem");
        var key = Path.Combine(_dir, "key.pem");
        await CreateAsync(cert, key);
        await using var server = CliProcess.Start("serve", "--listen", "127.0.0.1:0", "--port-file", PortFile, "--tls-cert", cert, "--tls-key", key);
        await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on", StringComparison.Ordinal));
        var port = int.Parse(File.ReadAllLines(PortFile)[0], System.Globalization.CultureInfo.InvariantCulture);
        var before = Descriptors(server.Id);

        var clients = new List<System.Net.Security.SslStream>();
        try
        {
            for (var i = 0; i < connections; i++)
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await socket.ConnectAsync(System.Net.IPAddress.Loopback, port);
                var tls = new System.Net.Security.SslStream(new System.Net.Sockets.NetworkStream(socket, ownsSocket: true));
                clients.Add(tls);
                await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
                {
                    TargetHost = "localhost",
                    CertificateChainPolicy = Trusting(cert),
                });
            }

            // Every handshake completed, so the server holds every connection; a tunnel would hold three descriptors each.
            var added = Descriptors(server.Id) - before;
            Assert.InRange(added, connections, connections + 10);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }

        server.Signal(CliProcess.SigTerm);
        Assert.Equal(0, await server.WaitForExitAsync());
    }

    private static System.Security.Cryptography.X509Certificates.X509ChainPolicy Trusting(string caFile)
    {
        var policy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
        {
            TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
            RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.ImportFromPemFile(caFile);
        return policy;
    }

    private static int Descriptors(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;

    private static async Task CreateAsync(string cert, string key)
    {
        await using var create = CliProcess.Start("cert", "create", "--cert", cert, "--key", key);
        Assert.Equal(0, await create.WaitForExitAsync());
        Assert.Contains("self-signed", Assert.Single(create.StderrLines), StringComparison.Ordinal);
    }
}
