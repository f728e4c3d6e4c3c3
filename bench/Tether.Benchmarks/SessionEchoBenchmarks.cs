using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using Tether.Client;
using Tether.Server;

namespace Tether.Benchmarks;

/// <summary>
/// The cost of reliable sessions on a busy echo link: the same <see cref="EchoLink"/> (a <see cref="TetherServer"/>
/// echoing every message, a <see cref="TetherClient"/> with a <see cref="TetherClientHandler"/> pipelining 10,000
/// messages per invocation with at most 512 in flight) with sessions off and on, on both sides. With sessions every
/// DATA carries a sequence number (and usually a piggy-backed ack), each side keeps what it sent until the peer acks
/// it, and each side acks every 32 messages / 64 KiB / 200 ms. Figures are per message (one send, one echo received).
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet owns the lifetime: [GlobalCleanup] disposes the link.")]
[MemoryDiagnoser]
[BenchmarkCategory("EndToEnd", "Sessions")]
public class SessionEchoBenchmarks
{
    /// <summary>Messages per invocation.</summary>
    public const int Messages = 10_000;

    /// <summary>Most messages in flight; the sender refills when half of them have come back.</summary>
    public const int Window = 512;

    private EchoLink? _link;

    /// <summary>Reliable sessions on both sides (the default) or off on both sides.</summary>
    [Params(false, true)]
    public bool Sessions { get; set; }

    [Params(64, 1024)]
    public int PayloadLength { get; set; }

    [GlobalSetup]
    public async Task SetupAsync() => _link = await EchoLink.StartAsync(Sessions, PayloadLength, Window);

    [Benchmark(Description = "Echo, TetherClientHandler (window 512)", OperationsPerInvoke = Messages)]
    public Task PipelinedEcho() => _link!.RunAsync(Messages);

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_link is not null)
        {
            await _link.DisposeAsync();
        }
    }
}

/// <summary>
/// The server's own cost of sessions, without the <see cref="TetherClient"/>: a <see cref="RawEchoLink"/>, whose
/// bare-socket client writes 10,000 DATA frames of 64 B per invocation (64 per socket write) and counts the echoes,
/// numbering its frames and piggy-backing acks when sessions are on. The client makes the same socket calls either
/// way, so the difference is what the server spends on sequence numbers, acks and its replay buffer.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet owns the lifetime: [GlobalCleanup] disposes the link.")]
[MemoryDiagnoser]
[BenchmarkCategory("EndToEnd", "Sessions")]
public class SessionServerEchoBenchmarks
{
    private RawEchoLink? _link;

    /// <summary>Reliable sessions on (the client asks, the server grants) or off on both sides.</summary>
    [Params(false, true)]
    public bool Sessions { get; set; }

    [GlobalSetup]
    public async Task SetupAsync() => _link = await RawEchoLink.StartAsync(Sessions);

    [Benchmark(Description = "Echo 64 B, bare-socket client (server cost)", OperationsPerInvoke = SessionEchoBenchmarks.Messages)]
    public Task PipelinedEcho_RawSocketClient() => _link!.RunAsync(SessionEchoBenchmarks.Messages);

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_link is not null)
        {
            await _link.DisposeAsync();
        }
    }
}
