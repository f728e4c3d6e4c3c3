using System.Diagnostics;
using Tether.Heartbeat;
using Xunit.Abstractions;

namespace Tether.Interop.Tests;

/// <summary>
/// The C load generator that checks the connection figures from outside (bench/floor/idle_holder.c, written from
/// docs/protocol.md alone) speaks the protocol with the real server: its own test vectors pass, and it holds
/// connections with sessions through several heartbeats without one being dropped.
/// </summary>
public sealed class IdleHolderInteropTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tether-idle-holder-").FullName;

    [GccFact]
    public async Task The_c_load_generator_passes_its_self_test_and_holds_connections_through_heartbeats()
    {
        var binary = Path.Combine(_directory, "idle_holder");
        var source = Path.GetFullPath(Path.Combine(InteropFiles.InRepository(), "..", "..", "bench", "floor", "idle_holder.c"));
        var (compiled, compilerOutput) = await RunAsync(GccFactAttribute.Gcc!, $"-O2 -Wall -Wextra -Werror -o \"{binary}\" \"{source}\"");
        Assert.True(compiled == 0, $"gcc failed: {compilerOutput}");

        var (selfTest, selfTestOutput) = await RunAsync(binary, "--self-test");
        Assert.True(selfTest == 0, $"self-test failed: {selfTestOutput}");

        await using var server = await EchoServer.StartAsync(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromSeconds(3) });
        var (held, result) = await RunAsync(
            binary,
            $"--target 127.0.0.1:{server.Port} --pid {Environment.ProcessId} --connections 50 --protocol tether --heartbeat 1 --settle 1 --measure 4");

        Assert.True(held == 0, $"exit code {held}: {result}");
        var line = result.Split('\n').Single(l => l.StartsWith("idle_holder: protocol=", StringComparison.Ordinal));
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(f => f.Contains('=')).ToDictionary(f => f[..f.IndexOf('=')], f => f[(f.IndexOf('=') + 1)..]);
        Assert.Equal("50", fields["held"]);
        Assert.Equal("0", fields["dropped"]);
        Assert.Equal("50", fields["sessions"]);
        Assert.True(long.Parse(fields["pongs_received"], System.Globalization.CultureInfo.InvariantCulture) >= 50, line);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<(int ExitCode, string Output)> RunAsync(string program, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(program)} {arguments} did not end within 60 s");
        }

        var text = await stdout + await stderr;
        output.WriteLine($"$ {Path.GetFileName(program)} {arguments}\n{text}");
        return (process.ExitCode, text);
    }
}
