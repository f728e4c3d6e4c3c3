using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tether.Protocol;

namespace Tether.Cli.Tests;

/// <summary>The two-stage stop of <c>tether serve</c>, now that it runs in the Generic Host.</summary>
public sealed class ServeHostStopEndToEndTests : IDisposable
{
    private readonly string _portFile = Path.Combine(Path.GetTempPath(), $"tether-cli-test-{Guid.NewGuid():N}.port");

    public void Dispose() => File.Delete(_portFile);

    [Fact]
    public async Task A_second_signal_ends_a_drain_that_a_client_ignoring_goaway_would_keep_open()
    {
        await using var server = CliProcess.Start("serve", "--listen", "127.0.0.1:0", "--port-file", _portFile, "--drain", "10m");
        await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on", StringComparison.Ordinal));
        using var stubborn = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await stubborn.ConnectAsync(new IPEndPoint(IPAddress.Loopback, int.Parse(File.ReadAllLines(_portFile)[0], CultureInfo.InvariantCulture)));
        var hello = new ArrayBufferWriter<byte>();
        new HelloFrame { ClientId = "stubborn" }.Write(hello);
        await stubborn.SendAsync(hello.WrittenMemory);
        var welcome = new byte[1];
        Assert.Equal(1, await stubborn.ReceiveAsync(welcome));

        server.Signal(CliProcess.SigTerm);
        await server.WaitForStderrAsync(line => line.StartsWith("tether: stopping: 1 connection(s), draining for up to 10m", StringComparison.Ordinal));
        server.Signal(CliProcess.SigTerm);

        // Well within the test's bound, far short of the 10-minute drain.
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Contains("tether: stopped", server.StderrLines);
    }
}
