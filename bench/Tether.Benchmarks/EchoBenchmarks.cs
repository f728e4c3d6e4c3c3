using System.Diagnostics.CodeAnalysis;
using System.Net;
using BenchmarkDotNet.Attributes;
using Tether.Client;
using Tether.Server;

namespace Tether.Benchmarks;

/// <summary>
/// End-to-end loopback echo: a <see cref="TetherServer"/> with an allocation-free echo handler on 127.0.0.1, and a
/// client that pipelines 10,000 messages of 64 B per invocation. Figures are per message (one send, one echo).
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet owns the lifetime: [GlobalCleanup] disposes the fields.")]
[MemoryDiagnoser]
[BenchmarkCategory("EndToEnd")]
public class EchoBenchmarks
{
    /// <summary>Messages per invocation.</summary>
    public const int Messages = 10_000;

    /// <summary>Most messages in flight at once for the <see cref="TetherClient"/> run (below its receive queue of 1024).</summary>
    public const int Window = 512;

    private const int PayloadLength = 64;

    private readonly byte[] _payload = Payloads.Create(PayloadLength);
    private readonly byte[] _burst = Payloads.DataFrames(Messages, PayloadLength);
    private TetherServer? _server;
    private TetherClient? _client;
    private IAsyncEnumerator<ReadOnlyMemory<byte>>? _echoes;
    private RawPeer? _raw;

    [GlobalSetup(Target = nameof(PipelinedEcho_TetherClient))]
    public async Task SetupClientAsync()
    {
        var server = await StartServerAsync();
        var options = new TetherClientOptions();
        options.EndPoints.Add(server.LocalEndPoints[0]);
        _client = new TetherClient(options);
        await _client.ConnectAsync();
        _echoes = _client.ReadAllAsync().GetAsyncEnumerator();
    }

    [GlobalSetup(Target = nameof(PipelinedEcho_RawSocketClient))]
    public async Task SetupRawAsync()
    {
        var server = await StartServerAsync();
        _raw = await RawPeer.ConnectAsync(server.LocalEndPoints[0]);
    }

    /// <summary>
    /// <see cref="TetherClient.SendAsync"/> with up to <see cref="Window"/> messages in flight, echoes read with
    /// <see cref="TetherClient.ReadAllAsync"/>. Includes the client's own per-message costs.
    /// </summary>
    [Benchmark(Description = "Echo 64 B, TetherClient (window 512)", OperationsPerInvoke = Messages)]
    public async Task PipelinedEcho_TetherClient()
    {
        var client = _client!;
        var echoes = _echoes!;
        var sent = 0;
        for (var received = 0; received < Messages; received++)
        {
            while (sent < Messages && sent - received < Window)
            {
                await client.SendAsync(_payload);
                sent++;
            }

            if (!await echoes.MoveNextAsync() || echoes.Current.Length != PayloadLength)
            {
                throw new InvalidOperationException("the echo stream ended or returned a wrong message");
            }
        }
    }

    /// <summary>
    /// A bare-socket client writes 10,000 pre-encoded DATA frames and counts the echoes without allocating, so what
    /// is measured is the server's per-message cost (receive, parse, handler, encode, send).
    /// </summary>
    [Benchmark(Description = "Echo 64 B, bare-socket client (server cost)", OperationsPerInvoke = Messages)]
    public async Task PipelinedEcho_RawSocketClient()
    {
        var raw = _raw!;
        var sending = raw.SendAsync(_burst);
        await raw.ReadDataFramesAsync(Messages);
        await sending;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_echoes is not null)
        {
            await _echoes.DisposeAsync();
        }

        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        _raw?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private async Task<TetherServer> StartServerAsync()
    {
        var options = new TetherServerOptions();
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        _server = new TetherServer(options, new EchoHandler());
        await _server.StartAsync();
        return _server;
    }
}
