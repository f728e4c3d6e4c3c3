using System.Buffers;
using System.Net;
using Tether.Diagnostics;
using Tether.Protocol;
using Tether.Server;

namespace Tether.Benchmarks;

/// <summary>
/// A loopback echo link whose client is a bare socket (<see cref="RawPeer"/>), to measure the server's own cost of
/// sessions without the <see cref="Client.TetherClient"/>: a <see cref="TetherServer"/> with the copy-free
/// <see cref="EchoHandler"/> and sessions on or off, and a client that writes DATA frames of 64 B, 64 frames per socket
/// write, without waiting for echoes, and counts the echoes as they come. With a session the client numbers its frames
/// and acknowledges the echoes by piggy-backing the last sequence number it received on the first frame of each write,
/// as a real client does; without, it sends plain frames. The client makes the same socket calls either way. Only
/// 64 B: the client does not wait for echoes, so with 1 KiB payloads the echoes in flight could exceed the server's
/// 4 MiB replay limit before the client's acks catch up.
/// </summary>
internal sealed class RawEchoLink : IEchoLink
{
    public const int PayloadLength = 64;
    private const int FramesPerWrite = 64;

    private readonly TetherServer _server;
    private readonly RawPeer _raw;
    private readonly byte[] _payload = Payloads.Create(PayloadLength);
    private readonly ArrayBufferWriter<byte> _write = new(FramesPerWrite * FrameWriter.DataLength(PayloadLength, DataFlags.Sequence | DataFlags.Ack));
    private readonly Timer _watchdog;
    private ulong _nextSequence;
    private ulong _lastAckSent;
    private long _expectedFrames;
    private long _lastSeenFrames;
    private long _lastProgress;

    private RawEchoLink(TetherServer server, RawPeer raw)
    {
        _server = server;
        _raw = raw;
        _watchdog = new Timer(static state => ((RawEchoLink)state!).CheckProgress(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public bool Sessions => _raw.Session;

    public long Received => _raw.DataFramesReceived;

    public IReadOnlyList<string> MeterNames => [TetherMeterNames.Server];

    /// <summary>Starts a server with sessions on or off and connects a bare-socket client that asks for the same.</summary>
    public static async Task<RawEchoLink> StartAsync(bool sessions)
    {
        var options = new TetherServerOptions();
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        options.Sessions.Enabled = sessions;
        var server = new TetherServer(options, new EchoHandler());
        try
        {
            await server.StartAsync();
            var raw = await RawPeer.ConnectAsync(server.LocalEndPoints[0], requestSession: sessions);
            return new RawEchoLink(server, raw);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Writes <paramref name="messages"/> frames and returns once every echo is back (checked in order).</summary>
    public async Task RunAsync(int messages)
    {
        Volatile.Write(ref _expectedFrames, _raw.DataFramesReceived + messages);
        var reading = _raw.ReadDataFramesAsync(messages);
        for (var sent = 0; sent < messages; sent += FramesPerWrite)
        {
            EncodeWrite(Math.Min(FramesPerWrite, messages - sent));
            await _raw.SendAsync(_write.WrittenMemory);
        }

        await reading;
    }

    public async ValueTask DisposeAsync()
    {
        await _watchdog.DisposeAsync();
        _raw.Dispose();
        await _server.DisposeAsync();
    }

    private void EncodeWrite(int frames)
    {
        _write.ResetWrittenCount();
        if (!Sessions)
        {
            for (var i = 0; i < frames; i++)
            {
                FrameWriter.WriteData(_write, _payload);
            }

            return;
        }

        var ack = _raw.LastSequence;
        for (var i = 0; i < frames; i++)
        {
            var flags = DataFlags.Sequence;
            if (ack > _lastAckSent)
            {
                flags |= DataFlags.Ack;
                _lastAckSent = ack;
            }

            FrameWriter.WriteData(_write, _payload, flags, ++_nextSequence, ack);
        }
    }

    /// <summary>
    /// The peer reads without a timeout (a token per receive could allocate inside the measurement), so a server that
    /// stops echoing would hang the run: closing the socket after 10 s without progress makes the read throw.
    /// </summary>
    private void CheckProgress()
    {
        var frames = _raw.DataFramesReceived;
        var now = Environment.TickCount64;
        if (frames != _lastSeenFrames || frames >= Volatile.Read(ref _expectedFrames))
        {
            _lastSeenFrames = frames;
            _lastProgress = now;
        }
        else if (now - _lastProgress > 10_000)
        {
            Console.Error.WriteLine($"no echo for 10 s ({Volatile.Read(ref _expectedFrames) - frames} missing): closing the connection to fail the run");
            _raw.Dispose();
        }
    }
}
