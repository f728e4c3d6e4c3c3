using System.Buffers;
using System.Net;
using Microsoft.Extensions.Logging;
using Tether.Framing;
using Tether.Protocol;
using Tether.Server;
using Tether.Tests.Support;
using Tether.Transport;
using Tether.Transport.Readiness;

namespace Tether.Tests.Transport;

/// <summary>
/// The transport seam: the option picks the implementation, both carry the protocol, an engine that fails says so and
/// hands new connections to the portable transport, and an application's framing never holds the engine's thread.
/// </summary>
public sealed class TransportSeamTests
{
    [Theory]
    [InlineData(TransportKind.Portable)]
    [InlineData(TransportKind.Epoll)]
    public async Task The_option_picks_the_transport_and_each_carries_the_protocol(TransportKind kind)
    {
        if (kind == TransportKind.Epoll && ReadinessEngine.Shared is null)
        {
            return;
        }

        await using var server = await ServerFixture.StartAsync(o => o.Transport = kind);
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = true });
        await using var __ = peer;
        var connection = await server.Handler.NextConnectedAsync();

        await peer.SendAsync(w => FrameWriter.WriteData(w, "over the seam"u8, DataFlags.Sequence, 1, 0));
        Assert.Equal("over the seam"u8.ToArray(), (await server.Handler.NextMessageAsync()).Message);
        Assert.Equal(kind == TransportKind.Epoll, connection.Transport.UsesReadinessEngine);

        // Idle again: armed, and no receive buffer held, on either transport.
        await Eventually.WaitUntilAsync(() => connection.Transport.IsArmed && !connection.Transport.HoldsReceiveBuffer);
    }

    [LinuxFact]
    public async Task A_failed_engine_closes_its_connections_with_the_reason_logs_once_and_new_connections_use_the_portable_transport()
    {
        // The process's engine exists before this test's is broken, so the closed descriptor cannot be reused for it.
        Assert.NotNull(ReadinessEngine.Shared);
        var engine = ReadinessEngine.TryCreate()!;
        var logs = new RecordingLoggerProvider();
        var handler = new RecordingHandler();
        var options = new TetherServerOptions { Transport = TransportKind.Epoll, Engine = engine, CloseLinger = TimeSpan.FromSeconds(1) };
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        await using var server = new TetherServer(options, handler, logs);
        using var metrics = new MetricRecorder(server.Metrics.Meter, "reason");
        await server.StartAsync();
        var endPoint = server.LocalEndPoints[0];

        var (peer, _) = await RawPeer.HandshakeAsync(endPoint);
        await using var __ = peer;
        var connection = await handler.NextConnectedAsync();
        await Eventually.WaitUntilAsync(() => connection.Transport.IsArmed);
        Assert.Equal(TransportKind.Epoll, server.CurrentTransport);

        engine.BreakForTests();

        // The engine's thread is inside epoll_wait on the instance just closed: an arrival wakes it, and its next wait fails.
        await peer.SendAsync(w => FrameWriter.WritePing(w, 1));
        var (closed, info) = await handler.NextDisconnectedAsync();
        Assert.Same(connection, closed);
        Assert.Equal(DisconnectReason.ConnectionLost, info.Reason);
        Assert.Contains("readiness engine stopped", info.Description, StringComparison.Ordinal);
        Assert.Equal(1, metrics.Sum("tether.transport.engine_failures"));
        var error = Assert.Single(logs.Lines, line => line.Level == LogLevel.Error);
        Assert.Contains("epoll_wait", error.Message, StringComparison.Ordinal);
        Assert.Equal(TransportKind.Portable, server.CurrentTransport);

        var (next, _) = await RawPeer.HandshakeAsync(endPoint);
        await using var ___ = next;
        var nextConnection = await handler.NextConnectedAsync();
        Assert.False(nextConnection.Transport.UsesReadinessEngine);
        await next.SendAsync(w => FrameWriter.WriteData(w, "still served"u8));
        Assert.Equal("still served"u8.ToArray(), (await handler.NextMessageAsync()).Message);
    }

    [Fact]
    public async Task A_slow_application_framing_does_not_delay_other_connections_heartbeats()
    {
        using var framing = new GatedFraming();
        await using var server = await ServerFixture.StartAsync(o => o.Listen(new IPEndPoint(IPAddress.Loopback, 0), framing));
        var plainEndPoint = server.Server.LocalEndPoints[1];

        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var __ = peer;
        await server.Handler.NextConnectedAsync();
        await using var device = await PlainPeer.ConnectAsync(plainEndPoint);
        await server.Handler.NextConnectedAsync();

        // The device's bytes reach the framing, which then holds its thread until released.
        await device.SendTextAsync("slow\n");
        await framing.Entered.WaitAsync(Timeouts.Event);

        // Meanwhile a heartbeat on another connection is answered: the engine's thread is not the one held.
        await peer.SendAsync(w => FrameWriter.WritePing(w, 7));
        var pong = (await peer.ReadFrameAsync()).ToFrame();
        Assert.Equal(FrameType.Pong, pong.Type);
        Assert.Equal(7UL, pong.ReadUInt64Body());

        framing.Release();
        Assert.Equal("slow"u8.ToArray(), (await server.Handler.NextMessageAsync()).Message);
    }

    /// <summary>Lines, but the first read waits until the test releases it: an application framing that is slow.</summary>
    private sealed class GatedFraming : IFraming, IDisposable
    {
        private readonly LineFraming _lines = new();
        private readonly ManualResetEventSlim _gate = new();
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public string Name => "gated-lines";

        public int MaxFrameLength => _lines.MaxFrameLength;

        public bool TryRead(ref ReadOnlySequence<byte> input, out ReadOnlySequence<byte> message)
        {
            _entered.TrySetResult();
            _gate.Wait(Timeouts.Event);
            return _lines.TryRead(ref input, out message);
        }

        public void Write(ReadOnlySpan<byte> message, IBufferWriter<byte> output) => _lines.Write(message, output);

        public void Release() => _gate.Set();

        public void Dispose() => _gate.Dispose();
    }
}
