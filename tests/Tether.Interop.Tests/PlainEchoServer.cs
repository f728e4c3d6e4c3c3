using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Tether.Framing;
using Tether.Server;

namespace Tether.Interop.Tests;

/// <summary>
/// An in-process Tether server with one plain <c>raw</c> listener on 127.0.0.1:0 (whatever one read returns is a
/// message, echoed back as is) and a short idle timeout, for plain socket programs that know nothing of Tether.
/// </summary>
internal sealed class PlainEchoServer : IAsyncDisposable
{
    private readonly TetherServer _server;

    private PlainEchoServer(TetherServer server, PlainEchoHandler handler)
    {
        _server = server;
        Handler = handler;
    }

    public PlainEchoHandler Handler { get; }

    public int Port => _server.LocalEndPoints[0].Port;

    /// <param name="idleTimeout">A connection from which nothing arrives for this long is closed.</param>
    public static async Task<PlainEchoServer> StartAsync(TimeSpan idleTimeout)
    {
        var options = new TetherServerOptions { ServerId = "plain-interop-test" };
        options.Listeners.Add(new ListenerOptions(new IPEndPoint(IPAddress.Loopback, 0), RawFraming.Instance) { IdleTimeout = idleTimeout });

        // The default wheel tick (250 ms) is coarse for a 2 s timeout.
        options.Heartbeat.TickInterval = TimeSpan.FromMilliseconds(50);

        var handler = new PlainEchoHandler();
        var server = new TetherServer(options, handler);
        await server.StartAsync();
        return new PlainEchoServer(server, handler);
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();
}

/// <summary>Echoes every message and records connections, messages and how each connection ended.</summary>
internal sealed class PlainEchoHandler : TetherServerHandler
{
    private readonly Channel<DisconnectInfo> _disconnected = Channel.CreateUnbounded<DisconnectInfo>();
    private int _connected;

    /// <summary>How many connections <see cref="OnConnectedAsync"/> saw.</summary>
    public int Connected => Volatile.Read(ref _connected);

    /// <summary>Every message in arrival order, with its connection's id.</summary>
    public ConcurrentQueue<(long ConnectionId, byte[] Message)> Messages { get; } = new();

    public ConcurrentQueue<DisconnectInfo> Disconnects { get; } = new();

    /// <summary>
    /// The bytes received on each connection, in the order the connections sent their first message. Raw framing makes
    /// a message of whatever one read returned, so only the concatenation per connection is certain.
    /// </summary>
    public IReadOnlyList<string> ReceivedPerConnection() =>
        [.. Messages.GroupBy(m => m.ConnectionId).Select(g => string.Concat(g.Select(m => System.Text.Encoding.UTF8.GetString(m.Message))))];

    /// <summary>Waits until <paramref name="count"/> connections have ended (at most <paramref name="timeout"/> in all).</summary>
    public async Task<DisconnectInfo[]> WaitForDisconnectsAsync(int count, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        for (var i = 0; i < count; i++)
        {
            try
            {
                await _disconnected.Reader.ReadAsync(cancellation.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{i} of {count} connections ended within {timeout.TotalSeconds} s ({Connected} connected)");
            }
        }

        return [.. Disconnects];
    }

    public override ValueTask OnConnectedAsync(TetherConnection connection)
    {
        Interlocked.Increment(ref _connected);
        return ValueTask.CompletedTask;
    }

    public override async ValueTask OnMessageAsync(TetherConnection connection, ReadOnlySequence<byte> message)
    {
        var copy = message.ToArray();
        Messages.Enqueue((connection.Id, copy));
        await connection.SendAsync(copy);
    }

    public override ValueTask OnDisconnectedAsync(TetherConnection connection, DisconnectInfo info)
    {
        Disconnects.Enqueue(info);
        _disconnected.Writer.TryWrite(info);
        return ValueTask.CompletedTask;
    }
}
