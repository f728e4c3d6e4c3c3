using System.Text.Json;

namespace Tether.Cli.Tests;

/// <summary><c>tether token create</c>, <c>tether serve --auth-secret-file</c> and <c>tether connect --token</c> together.</summary>
public sealed class TokenEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tether-token-test-").FullName;

    private string PortFile => Path.Combine(_dir, "port");

    private string SecretFile => Path.Combine(_dir, "secret");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_created_token_gets_in_under_its_client_id_and_a_forged_one_is_refused_without_retries()
    {
        await File.WriteAllTextAsync(SecretFile, "a secret of more than sixteen bytes\n");
        await using var create = CliProcess.Start("token", "create", "--secret-file", SecretFile, "--client-id", "sensor-42", "--ttl", "1h");
        Assert.Equal(0, await create.WaitForExitAsync());
        var token = Assert.Single(create.StdoutLines);
        Assert.StartsWith("v1.", token, StringComparison.Ordinal);

        await using var server = CliProcess.Start("serve", "--listen", "127.0.0.1:0", "--port-file", PortFile, "--auth-secret-file", SecretFile);
        await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on 127.0.0.1:", StringComparison.Ordinal));
        var port = File.ReadAllLines(PortFile)[0];

        await using (var client = CliProcess.Start("connect", $"127.0.0.1:{port}", "--json", "--token", token, "--client-id", "admin"))
        {
            await client.WaitForStdoutAsync(line => line.Contains("\"event\":\"connected\"", StringComparison.Ordinal));
            await server.WaitForStdoutAsync(line => line.Contains("client sensor-42", StringComparison.Ordinal));
            client.Stdin.Close();
            Assert.Equal(0, await client.WaitForExitAsync());
        }

        var forged = token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1];
        await using (var client = CliProcess.Start("connect", $"127.0.0.1:{port}", "--json", "--token", forged))
        {
            client.Stdin.Close();
            Assert.Equal(ExitCodes.Failure, await client.WaitForExitAsync());
            var line = Assert.Single(client.StderrLines);
            Assert.Contains("1007 AUTH_FAILED", line, StringComparison.Ordinal);
            Assert.DoesNotContain(client.StdoutLines, l => JsonDocument.Parse(l).RootElement.GetProperty("event").GetString() == "reconnecting");
        }

        server.Signal(CliProcess.SigTerm);
        Assert.Equal(0, await server.WaitForExitAsync());
    }

    [Fact]
    public async Task A_short_secret_is_refused_with_one_line()
    {
        await File.WriteAllTextAsync(SecretFile, "short\n");

        await using var create = CliProcess.Start("token", "create", "--secret-file", SecretFile, "--client-id", "c");

        Assert.Equal(ExitCodes.Usage, await create.WaitForExitAsync());
        Assert.Equal([$"tether: --secret-file: {SecretFile} holds 5 bytes; a secret needs at least 16"], create.StderrLines);
    }
}
