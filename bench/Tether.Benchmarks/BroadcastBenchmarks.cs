using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using BenchmarkDotNet.Attributes;
using Tether.Protocol;
using Tether.Server;

namespace Tether.Benchmarks;

/// <summary>
/// What <see cref="TetherServer.Broadcast"/> does once per call, before touching any connection: the DATA header is
/// written into a pooled array and the payload copied after it. Must allocate nothing.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("Broadcast")]
public class BroadcastEncodeBenchmarks
{
    private byte[] _payload = [];

    [Params(64, 1024)]
    public int PayloadLength { get; set; }

    [GlobalSetup]
    public void Setup() => _payload = Payloads.Create(PayloadLength);

    [Benchmark(Description = "Broadcast encode (WriteDataHeader + copy to pooled array)")]
    public int EncodeOnce()
    {
        var message = _payload.AsSpan();
        var frameLength = FrameWriter.DataLength(message.Length);
        var frame = ArrayPool<byte>.Shared.Rent(frameLength);
        var headerLength = FrameWriter.WriteDataHeader(frame, message.Length, DataFlags.None, 0, 0);
        message.CopyTo(frame.AsSpan(headerLength));
        var first = frame[0];
        ArrayPool<byte>.Shared.Return(frame);
        return first + frameLength;
    }
}

/// <summary>
/// <see cref="TetherServer.Broadcast"/> on a live server with N connected peers that keep reading. Each invocation
/// broadcasts 100 messages, then waits until every connection has handed its queue to the kernel, so the queues stay
/// bounded and the time includes the socket writes. Figures are per broadcast. Should allocate nothing;
/// docs/benchmarks.md says how to rerun it.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet owns the lifetime: [GlobalCleanup] disposes the fields.")]
[MemoryDiagnoser]
[BenchmarkCategory("Broadcast")]
public class BroadcastServerBenchmarks
{
    private const int BroadcastsPerInvocation = 100;

    private readonly List<RawPeer> _peers = [];
    private readonly List<Task> _drains = [];
    private TetherConnection[] _connections = [];
    private byte[] _payload = [];
    private TetherServer? _server;

    [Params(64, 1024)]
    public int PayloadLength { get; set; }

    [Params(1, 100)]
    public int Connections { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _payload = Payloads.Create(PayloadLength);
        var options = new TetherServerOptions();
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        _server = new TetherServer(options, new EchoHandler());
        await _server.StartAsync();
        for (var i = 0; i < Connections; i++)
        {
            var peer = await RawPeer.ConnectAsync(_server.LocalEndPoints[0]);
            _peers.Add(peer);
            _drains.Add(Task.Run(peer.DiscardUntilClosedAsync));
        }

        // The server marks a connection open just after queueing WELCOME, so the peer may see WELCOME first.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (_server.Connections.Count(c => c.State == ConnectionState.Open) < Connections)
        {
            await Task.Delay(10, timeout.Token);
        }

        _connections = [.. _server.Connections];
    }

    [Benchmark(Description = "TetherServer.Broadcast to N live connections, flushed", OperationsPerInvoke = BroadcastsPerInvocation)]
    public int Broadcast_LiveServer()
    {
        var server = _server!;
        for (var i = 0; i < BroadcastsPerInvocation; i++)
        {
            var delivered = server.Broadcast(_payload);
            if (delivered != Connections)
            {
                throw new InvalidOperationException($"broadcast reached {delivered} of {Connections} connections");
            }
        }

        var spin = default(SpinWait);
        foreach (var connection in _connections)
        {
            while (connection.PendingOutboundBytes > 0)
            {
                spin.SpinOnce();
            }
        }

        return Connections;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        foreach (var peer in _peers)
        {
            peer.Dispose();
        }

        await Task.WhenAll(_drains);
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
