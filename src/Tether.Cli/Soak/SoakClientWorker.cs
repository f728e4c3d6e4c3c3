using System.Net;
using Tether.Client;
using Tether.FaultProxy;
using Tether.Server;

namespace Tether.Cli.Soak;

/// <summary>
/// One soak client and its private path to the server: a <see cref="TcpFaultProxy"/> (so that a fault hits this
/// client alone; none in a cluster run, where the faults are node kills and the client fails over between the nodes)
/// and a <see cref="TetherClient"/> with a session, a short heartbeat and fast reconnects. It sends
/// numbered messages upstream, pushes numbered messages downstream from the in-process server, and reports session
/// resumes and losses to the stream checkers.
/// </summary>
internal sealed class SoakClientWorker : IAsyncDisposable
{
    private readonly int _index;
    private readonly string _clientId;
    private readonly SoakStreams _streams;
    private readonly TimeProvider _time;

    private SoakClientWorker(int index, TcpFaultProxy? proxy, IEnumerable<EndPoint> endPoints, SoakStreams streams, SoakCounters counters, SoakTraffic traffic, TimeProvider time)
    {
        _index = index;
        _clientId = streams.ClientId(index);
        _streams = streams;
        _time = time;
        Proxy = proxy;
        var options = new TetherClientOptions
        {
            ClientId = _clientId,
            // Short enough that a black hole is noticed within seconds, long enough for a 300 ms delay each way.
            HeartbeatInterval = TimeSpan.FromSeconds(1),
            HeartbeatTimeout = TimeSpan.FromSeconds(3),
            ConnectTimeout = TimeSpan.FromSeconds(3),
            CloseLinger = TimeSpan.FromMilliseconds(500),
            Reconnect = new ReconnectOptions { BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(1) },
        };
        foreach (var endPoint in endPoints)
        {
            options.EndPoints.Add(endPoint);
        }

        Client = new TetherClient(options, new SoakClientHandler(index, streams, counters, traffic), timeProvider: time);
        Client.SessionResumed += (_, _) => counters.Resumed();
        Client.SessionLost += (_, e) =>
        {
            // Raised before anything of the new session is sent or delivered, so the checkers learn of the reset
            // before the gap it explains. Upstream, what may be lost is what the client sent unacknowledged;
            // downstream, what the server says it lost (unknown after a restart); an echo loses either.
            var info = e.Info;
            var up = traffic.Echo ? info.UnacknowledgedSent + info.PeerReportedLost : info.UnacknowledgedSent;
            Up.ResetReported(up);
            Down.ResetReported(info.PeerReportedLost);
            counters.ClientReportedLost(info.SessionId);
        };
    }

    public TetherClient Client { get; }

    /// <summary>This client's fault proxy; null in a cluster run.</summary>
    public TcpFaultProxy? Proxy { get; }

    private StreamChecker Up => _streams.Up[_index];

    private StreamChecker Down => _streams.Down[_index];

    /// <summary>Starts the client's proxy in front of <paramref name="server"/>; <see cref="ConnectAsync"/> connects through it.</summary>
    public static SoakClientWorker Create(int index, EndPoint server, SoakStreams streams, SoakCounters counters, bool echo, TimeProvider time)
    {
        var proxy = TcpFaultProxy.Start(server, new FaultProxyOptions { ConnectTimeout = TimeSpan.FromSeconds(2) });
        return new SoakClientWorker(index, proxy, [proxy.EndPoint], streams, counters, echo ? SoakTraffic.EchoOnly : SoakTraffic.InProcess, time);
    }

    /// <summary>
    /// A client of a cluster run: no proxy, every node in its endpoint list, starting from node
    /// <paramref name="index"/> modulo their number, so that the clients spread over the nodes and fail over in turn.
    /// </summary>
    public static SoakClientWorker CreateForCluster(int index, IReadOnlyList<EndPoint> nodes, SoakStreams streams, SoakCounters counters, TimeProvider time)
    {
        var rotated = Enumerable.Range(0, nodes.Count).Select(i => nodes[(index + i) % nodes.Count]);
        return new SoakClientWorker(index, proxy: null, rotated, streams, counters, SoakTraffic.Cluster, time);
    }

    public Task ConnectAsync(CancellationToken cancellationToken) => Client.ConnectAsync(cancellationToken);

    /// <summary>
    /// Sends the next upstream message every <paramref name="period"/> until <paramref name="stop"/>. A message counts
    /// as sent once the client accepted it; one it refused is tried again with the same number.
    /// </summary>
    public async Task SendAsync(TimeSpan period, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(period, _time);
        var message = new byte[SoakMessage.Size];
        var counter = 1L;
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                new SoakMessage(SoakDirection.Up, _index, counter).Write(message);
                try
                {
                    // Accepted means copied into the session: the buffer can be reused at once.
                    await Client.SendAsync(message, stop).ConfigureAwait(false);
                }
                catch (TetherException)
                {
                    continue;
                }

                Up.Sent(counter++);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Pushes the next downstream message from the current in-process server every <paramref name="period"/>, by client
    /// id (so it reaches the client's session whether it is connected or resuming), until <paramref name="stop"/>.
    /// </summary>
    public async Task PushAsync(Func<TetherServer?> currentServer, TimeSpan period, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(period, _time);
        var message = new byte[SoakMessage.Size];
        var counter = 1L;
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                if (currentServer() is not { } server)
                {
                    continue;
                }

                new SoakMessage(SoakDirection.Down, _index, counter).Write(message);
                bool accepted;
                try
                {
                    accepted = await server.SendToClientAsync(_clientId, message, stop).ConfigureAwait(false);
                }
                catch (TetherException)
                {
                    // The session was lost under our feet (superseded, or the server is stopping): not accepted.
                    accepted = false;
                }

                if (accepted)
                {
                    Down.Sent(counter++);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// True once this client is connected, each side has everything the other sent acknowledged, and nothing sent is
    /// still on its way (unless a reported reset accounts for it).
    /// </summary>
    public bool IsSettled(TetherServer? server)
    {
        if (Client.State != ClientState.Connected || Client.UnacknowledgedMessages != 0)
        {
            return false;
        }

        if (server is not null
            && (!server.Sessions.TryGetByClientId(_clientId, out var session) || !session.IsAttached || session.UnacknowledgedMessages != 0))
        {
            return false;
        }

        return (Up.Outstanding == 0 || Up.ResetPending) && (Down.Outstanding == 0 || Down.ResetPending);
    }

    /// <summary>Why this client is not settled, for the report of a run that did not settle.</summary>
    public string DescribeState(TetherServer? server)
    {
        var session = server is not null && server.Sessions.TryGetByClientId(_clientId, out var s)
            ? $"server session {s.Id} {(s.IsAttached ? "attached" : "detached")}, {s.UnacknowledgedMessages} unacknowledged (sent #{s.LastSentSequence}, acked #{s.AcknowledgedSequence}, received #{s.LastReceivedSequence})"
            : server is null ? "no server" : "no server session";
        return $"{_clientId}: {Client.State}, session {Client.SessionId}, {Client.UnacknowledgedMessages} unacknowledged; {session}; "
            + $"up {Up.Outstanding} outstanding{(Up.ResetPending ? " (reset pending)" : string.Empty)}, down {Down.Outstanding} outstanding{(Down.ResetPending ? " (reset pending)" : string.Empty)}";
    }

    /// <summary>
    /// True when the client is connected and yet not settled: something it or the server sent is neither acknowledged
    /// nor on its way, typically because a black hole swallowed it from a connection that stayed up.
    /// </summary>
    public bool IsStalled(TetherServer? server) => Client.State == ClientState.Connected && !IsSettled(server);

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync().ConfigureAwait(false);
        if (Proxy is not null)
        {
            await Proxy.DisposeAsync().ConfigureAwait(false);
        }
    }
}
