using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tether.FaultProxy;
using Tether.Server;
using Tether.TestSupport;
using Xunit.Abstractions;

namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>
/// The C++ client of clients/cpp against the real server: its README example as written, its example program (the
/// equivalent of <c>tether connect --json</c>), and the seed's heartbeat and reconnect programs rewritten on it
/// (tests/interop/library/cpp). In the README-port collection because every language's README example talks to
/// 127.0.0.1:7447.
/// </summary>
[Collection("ReadmePort7447")]
public sealed class CppClientTests(ITestOutputHelper output)
{
    [CppClientFact]
    public async Task Readme_example_runs_as_written_against_an_echo_server_on_port_7447()
    {
        var (code, commands) = CppClientLibrary.ReadmeExample(await File.ReadAllTextAsync(Path.Combine(CppClientLibrary.ClientDirectory, "README.md")));
        var (server, _) = await CppClientLibrary.StartEchoServerAsync(7447);
        await using var stop = server;
        var directory = Directory.CreateTempSubdirectory("tether-cpp-readme-");
        var link = Path.Combine(directory.FullName, "clients");
        try
        {
            // The README says "save it as hello.cpp in the repository root and run from there": a scratch directory
            // that shows the repository's clients/ stands in for it, so the commands run exactly as written. The
            // README's build directory remembers the path it was configured from, so each run configures afresh, and
            // removes it afterwards: left behind, it would break the README's commands run from the repository.
            DeleteReadmeBuild();

            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "hello.cpp"), code);
            Directory.CreateSymbolicLink(link, Path.Combine(CppClientLibrary.RepositoryRoot, "clients"));
            IReadOnlyList<string> lastOutput = [];
            foreach (var command in commands)
            {
                var start = new ProcessStartInfo("bash") { WorkingDirectory = directory.FullName };
                start.ArgumentList.Add("-c");
                start.ArgumentList.Add(command);
                await using var process = ChildProcess.Start(start, $"'{command}'", outputLabel: "readme");
                var exitCode = await process.WaitForExitAsync(CppClientLibrary.BuildTimeout);
                output.WriteLine($"$ {command}{process.Describe()}");
                Assert.True(exitCode == 0, $"'{command}' exited with {exitCode}{process.Describe()}");
                lastOutput = process.StdoutLines;
            }

            Assert.Equal(["hello"], lastOutput);
        }
        finally
        {
            Directory.Delete(link);
            directory.Delete(recursive: true);
            DeleteReadmeBuild();
        }
    }

    private static void DeleteReadmeBuild()
    {
        var readmeBuild = Path.Combine(CppClientLibrary.ClientDirectory, "build", "readme");
        if (Directory.Exists(readmeBuild))
        {
            Directory.Delete(readmeBuild, recursive: true);
        }
    }

    [CppClientFact]
    public async Task Example_program_sends_stdin_lines_prints_the_echoes_and_closes_with_everything_acknowledged()
    {
        await CppClientLibrary.ProgramDirectoryAsync();
        var (server, handler) = await CppClientLibrary.StartEchoServerAsync(0);
        await using var stop = server;
        var port = server.LocalEndPoints[0].Port;
        string[] lines = ["first", "second line", "héllo wörld ✓"];
        await using var example = CppClientLibrary.StartExample("--json", "--eof-delay", "300ms", $"127.0.0.1:{port}");
        foreach (var line in lines)
        {
            await example.Stdin.WriteLineAsync(line);
        }

        example.Stdin.Close();
        var exitCode = await example.WaitForExitAsync(CppClientLibrary.Timeout);
        output.WriteLine(example.Describe());

        Assert.True(exitCode == 0, $"exit code {exitCode}{example.Describe()}");
        var events = CppClientLibrary.Events(example);
        Assert.All(events, e => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", e.GetProperty("ts").GetString()));
        Assert.Equal("connected", CppClientLibrary.Name(events[0]));
        Assert.Equal($"127.0.0.1:{port}", events[0].GetProperty("endpoint").GetString());
        Assert.Equal(lines, events.Where(e => CppClientLibrary.Name(e) == "message").Select(e => e.GetProperty("data").GetString()));
        var closed = events[^1];
        Assert.Equal("closed", CppClientLibrary.Name(closed));
        Assert.Equal("closed", closed.GetProperty("reason").GetString());
        Assert.Equal(0, closed.GetProperty("unacknowledged").GetInt32());
        Assert.Equal(lines, handler.Messages.Select(m => System.Text.Encoding.UTF8.GetString(m)));
    }

    [CppClientFact]
    public async Task Example_program_delivers_lines_sent_across_a_reset_exactly_once_in_order()
    {
        await CppClientLibrary.ProgramDirectoryAsync();
        var (server, handler) = await CppClientLibrary.StartEchoServerAsync(0);
        await using var stop = server;
        await using var proxy = TcpFaultProxy.Start(new IPEndPoint(IPAddress.Loopback, server.LocalEndPoints[0].Port));
        var lines = Enumerable.Range(1, 40).Select(i => $"line {i}").ToArray();
        await using var example = CppClientLibrary.StartExample("--backoff-max", "200ms", "--eof-delay", "1s", proxy.EndPoint.ToString());
        foreach (var line in lines[..20])
        {
            await example.Stdin.WriteLineAsync(line);
        }

        await example.WaitForLineAsync(OutputStream.Stdout, l => l.Contains("\"line 10\"", StringComparison.Ordinal), CppClientLibrary.Timeout);
        proxy.ResetAll();
        foreach (var line in lines[20..])
        {
            await example.Stdin.WriteLineAsync(line);
        }

        example.Stdin.Close();
        var exitCode = await example.WaitForExitAsync(CppClientLibrary.Timeout);
        output.WriteLine(example.Describe());

        Assert.True(exitCode == 0, $"exit code {exitCode}{example.Describe()}");
        var events = CppClientLibrary.Events(example);
        Assert.Contains(events, e => CppClientLibrary.Name(e) == "resumed");
        Assert.Equal(lines, events.Where(e => CppClientLibrary.Name(e) == "message").Select(e => e.GetProperty("data").GetString()));
        Assert.Equal(lines, handler.Messages.Select(m => System.Text.Encoding.UTF8.GetString(m)));
        Assert.Equal(0, events[^1].GetProperty("unacknowledged").GetInt32());
    }

    [CppClientFact]
    public async Task Example_program_delivers_everything_through_one_byte_slices_and_a_black_hole()
    {
        await CppClientLibrary.ProgramDirectoryAsync();
        var (server, handler) = await CppClientLibrary.StartEchoServerAsync(0);
        await using var stop = server;
        await using var proxy = TcpFaultProxy.Start(new IPEndPoint(IPAddress.Loopback, server.LocalEndPoints[0].Port));
        proxy.Slice(1);
        var lines = Enumerable.Range(1, 30).Select(i => $"message {i} {new string('x', i * 7)}").ToArray();
        await using var example = CppClientLibrary.StartExample(
            "--heartbeat", "1s", "--timeout", "2s", "--backoff-max", "200ms", "--eof-delay", "1s", proxy.EndPoint.ToString());
        foreach (var line in lines[..15])
        {
            await example.Stdin.WriteLineAsync(line);
        }

        await example.WaitForLineAsync(OutputStream.Stdout, l => l.Contains("\"message 15 ", StringComparison.Ordinal), CppClientLibrary.Timeout);
        proxy.BlackHole();
        foreach (var line in lines[15..])
        {
            await example.Stdin.WriteLineAsync(line);
        }

        await example.WaitForLineAsync(OutputStream.Stdout, l => l.Contains("\"heartbeat-timeout\"", StringComparison.Ordinal), CppClientLibrary.Timeout);
        proxy.Slice(1);
        example.Stdin.Close();
        var exitCode = await example.WaitForExitAsync(CppClientLibrary.Timeout);
        output.WriteLine(example.Describe());

        Assert.True(exitCode == 0, $"exit code {exitCode}{example.Describe()}");
        var events = CppClientLibrary.Events(example);
        Assert.Equal(lines, events.Where(e => CppClientLibrary.Name(e) == "message").Select(e => e.GetProperty("data").GetString()));
        Assert.Equal(lines, handler.Messages.Select(m => System.Text.Encoding.UTF8.GetString(m)));
        Assert.Equal(0, events[^1].GetProperty("unacknowledged").GetInt32());
    }

    [CppClientFact(RequiresOpenSsl = true)]
    public async Task Example_program_connects_over_tls_and_checks_the_certificate()
    {
        await CppClientLibrary.ProgramDirectoryAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
        var directory = Directory.CreateTempSubdirectory("tether-cpp-tls-");
        try
        {
            var ca = Path.Combine(directory.FullName, "ca.pem");
            await File.WriteAllTextAsync(ca, created.ExportCertificatePem());
            var options = new TetherServerOptions { ServerId = "cpp-tls-test" };
            options.Listen(new IPEndPoint(IPAddress.Loopback, 0)).Tls = new SslServerAuthenticationOptions { ServerCertificate = certificate };
            await using var server = new TetherServer(options, new EchoHandler());
            await server.StartAsync();
            var port = server.LocalEndPoints[0].Port;

            await using (var trusted = CppClientLibrary.StartExample("--ca", ca, "--eof-delay", "300ms", $"localhost:{port}"))
            {
                await trusted.Stdin.WriteLineAsync("secret hello");
                trusted.Stdin.Close();
                var exitCode = await trusted.WaitForExitAsync(CppClientLibrary.Timeout);
                output.WriteLine(trusted.Describe());
                Assert.True(exitCode == 0, $"exit code {exitCode}{trusted.Describe()}");
                Assert.Contains(CppClientLibrary.Events(trusted), e => CppClientLibrary.Name(e) == "message" && e.GetProperty("data").GetString() == "secret hello");
            }

            // The system's CAs do not know this certificate: refused, with the reason.
            // Stdin stays open: its end would close the client before the attempt fails.
            await using var untrusted = CppClientLibrary.StartExample("--tls", "--max-attempts", "1", $"127.0.0.1:{port}");
            Assert.Equal(2, await untrusted.WaitForExitAsync(CppClientLibrary.Timeout));
            Assert.Contains(untrusted.StderrLines, l => l.Contains("certificate verification", StringComparison.Ordinal));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [CppClientFact]
    public async Task Heartbeat_program_reports_rtt_and_detects_a_black_holed_server()
    {
        var (server, _) = await CppClientLibrary.StartEchoServerAsync(0);
        await using var stop = server;
        await using var proxy = TcpFaultProxy.Start(new IPEndPoint(IPAddress.Loopback, server.LocalEndPoints[0].Port));
        await using var program = await CppClientLibrary.StartProgramAsync("heartbeat_client", proxy.EndPoint.ToString(), "60");
        try
        {
            await program.WaitForLineAsync(OutputStream.Stdout, l => l.StartsWith("rtt ", StringComparison.Ordinal), CppClientLibrary.Timeout);
            var silenced = Stopwatch.StartNew();
            proxy.BlackHole();

            // The client proposed a 3 s timeout; the last frame it received came at most one 1 s interval before.
            await program.WaitForLineAsync(OutputStream.Stdout, l => l.StartsWith("disconnected: heartbeat-timeout", StringComparison.Ordinal), CppClientLibrary.Timeout);
            Assert.True(silenced.Elapsed >= TimeSpan.FromSeconds(1.9), $"declared dead after {silenced.Elapsed}{program.Describe()}");
            proxy.Pass();
            await program.WaitForLineAsync(OutputStream.Stdout, l => l.StartsWith("connected to", StringComparison.Ordinal), CppClientLibrary.Timeout);
        }
        finally
        {
            output.WriteLine(program.Describe());
        }
    }

    [CppClientFact]
    public async Task Reconnect_program_survives_a_server_restart()
    {
        var (first, _) = await CppClientLibrary.StartEchoServerAsync(0);
        var port = first.LocalEndPoints[0].Port;
        await using var program = await CppClientLibrary.StartProgramAsync("reconnect_client", $"127.0.0.1:{port}", "10");
        TetherServer? second = null;
        try
        {
            await program.WaitForLineAsync(OutputStream.Stdout, l => l == "Received: ping 2", CppClientLibrary.Timeout);
            await first.DisposeAsync();
            (second, _) = await CppClientLibrary.StartEchoServerAsync(port);
            var exitCode = await program.WaitForExitAsync(CppClientLibrary.Timeout);
            output.WriteLine(program.Describe());

            Assert.True(exitCode == 0, $"exit code {exitCode}{program.Describe()}");
            Assert.Equal("all 10 echoes matched", program.StdoutLines[^1]);
            Assert.Contains(program.StdoutLines, l => l.StartsWith("reconnecting", StringComparison.Ordinal));
            var echoed = program.StdoutLines.Where(l => l.StartsWith("Received: ", StringComparison.Ordinal)).ToHashSet();
            Assert.Equal(Enumerable.Range(1, 10).Select(i => $"Received: ping {i}").ToHashSet(), echoed);
        }
        finally
        {
            await first.DisposeAsync();
            if (second is not null)
            {
                await second.DisposeAsync();
            }
        }
    }
}
