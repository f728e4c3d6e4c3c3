using System.Net;
using System.Net.Sockets;
using Tether.Protocol;

namespace Tether.Tests.Support;

/// <summary>
/// A hand-driven server on 127.0.0.1:0 for client tests: each accepted connection is a <see cref="RawPeer"/> the test
/// answers frame by frame, so it can send what a real server never would.
/// </summary>
internal sealed class ScriptedServer : IDisposable
{
    private readonly Socket _listener = new(SocketType.Stream, ProtocolType.Tcp);

    public ScriptedServer()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Accepts a connection, reads its HELLO and answers <paramref name="welcome"/> (a session-less one by default).</summary>
    public async Task<(RawPeer Peer, HelloFrame Hello)> AcceptAsync(Func<HelloFrame, WelcomeFrame>? welcome = null)
    {
        var peer = await RawPeer.AcceptAsync(_listener);
        var frame = await peer.ReadFrameAsync();
        Assert.Equal(FrameType.Hello, frame.Type);
        var hello = HelloFrame.Parse(frame.ToFrame());
        var answer = welcome?.Invoke(hello) ?? new WelcomeFrame { HeartbeatIntervalMs = 30_000, HeartbeatTimeoutMs = 90_000, ConnectionId = 1 };
        await peer.SendAsync(answer.Write);
        return (peer, hello);
    }

    /// <summary>Accepts a connection and leaves the handshake to the test.</summary>
    public Task<RawPeer> AcceptRawAsync() => RawPeer.AcceptAsync(_listener);

    /// <summary>A WELCOME with a session (30 s heartbeat), as a test's answer to a HELLO.</summary>
    public static WelcomeFrame SessionWelcome(SessionId id, bool resumed = false, ulong lastReceived = 0, SessionResetReason reset = SessionResetReason.None, uint lostCount = 0) => new()
    {
        HeartbeatIntervalMs = 30_000,
        HeartbeatTimeoutMs = 90_000,
        ConnectionId = 1,
        SessionActive = true,
        Resumed = resumed,
        SessionId = id,
        LastReceivedSequence = lastReceived,
        SessionResetReason = reset,
        LostCount = lostCount,
    };

    public void Dispose() => _listener.Dispose();
}
