using Tether.Diagnostics;
using Tether.Link;
using Tether.Protocol;
using Tether.Sessions;

namespace Tether.Client;

/// <summary>
/// The client's reliable session across connections: applies each WELCOME to it (resume, new session, or none),
/// reports a session that could not be resumed, and, while a graceful close is under way, keeps what lost sessions
/// held so the close can hand it back.
/// </summary>
internal sealed class ClientSessions
{
    private readonly Lock _lock = new();
    private readonly TetherClientOptions _options;
    private readonly TimeProvider _time;
    private readonly TetherMetrics _metrics;
    private readonly ClientLog _log;
    private readonly ClientEvents _events;
    private LinkedSession? _session;
    private SessionSettings? _settings;
    private bool _lostPending;
    private bool _closingGracefully;
    private List<ReadOnlyMemory<byte>>? _lostWhileClosing;
    private int _lostWhileClosingCount;

    public ClientSessions(TetherClientOptions options, TimeProvider time, TetherMetrics metrics, ClientLog log, ClientEvents events)
    {
        _options = options;
        _time = time;
        _metrics = metrics;
        _log = log;
        _events = events;
    }

    /// <summary>The session messages are sent in now, if the server granted one.</summary>
    public ReliableSession? Current => Volatile.Read(ref _session)?.Session;

    /// <summary>The current session with the link that carries it, for sending.</summary>
    public LinkedSession? CurrentLinked => Volatile.Read(ref _session);

    /// <summary>
    /// Works out what the WELCOME means for the session and attaches it to the new link before any message flows:
    /// resumed (resend what the server lacks; <paramref name="resumed"/> is the event to raise), started (reporting the
    /// old one as lost, if it was to be resumed), or none.
    /// </summary>
    public ClientSessionOutcome Apply(ClientConnection connection, HelloFrame hello, out SessionResumedEventArgs? resumed)
    {
        resumed = null;
        var welcome = connection.Welcome;
        var previous = Volatile.Read(ref _session);
        var outcome = ClientSessionNegotiation.Classify(hello, welcome, previous?.Session);
        var peerMaxFrame = (int)Math.Min(welcome.MaxFrameSize, int.MaxValue - ProtocolConstants.HeaderSize);
        switch (outcome)
        {
            case ClientSessionOutcome.Resumed:
                var resent = previous!.Attach<object?>(connection.Link, welcome.LastReceivedSequence, peerMaxFrame, null, null);
                _metrics.SessionsResumed.Add(1);
                _metrics.MessagesResent.Add(resent);
                _log.SessionResumed(previous.Session.Id.ToString(), resent);
                resumed = new SessionResumedEventArgs(previous.Session.Id, welcome.LastReceivedSequence, resent);
                return outcome;
            case ClientSessionOutcome.ClientGap:
                ReportLost(previous!, SessionLostReason.Gap, null, $"the server has the client's messages up to {welcome.LastReceivedSequence}, but the client freed up to {previous!.Session.LastAcknowledged}");
                Volatile.Write(ref _session, null);
                return outcome;
        }

        if (hello.IsResume && previous is not null)
        {
            var reason = ClientSessionNegotiation.LossReason(welcome);
            ReportLost(previous, reason, ClientSessionNegotiation.PeerLost(welcome), $"the server did not resume session {previous.Session.Id}: {reason}");
        }

        if (outcome == ClientSessionOutcome.Started)
        {
            var session = new LinkedSession(new ReliableSession(welcome.SessionId, _settings ??= new SessionSettings(_options.Sessions, _time)));
            session.Attach<object?>(connection.Link, 0, peerMaxFrame, null, null);
            _metrics.SessionsStarted.Add(1);
            Volatile.Write(ref _session, session);
        }
        else
        {
            Volatile.Write(ref _session, null);
        }

        return outcome;
    }

    /// <summary>
    /// True once after a session was reported lost: its <see cref="TetherClient.SessionLost"/> handlers must run
    /// before any message of the new session is delivered. Read and cleared by the run loop only.
    /// </summary>
    public bool TakeLostPending()
    {
        if (!_lostPending)
        {
            return false;
        }

        _lostPending = false;
        return true;
    }

    /// <summary>A graceful close has begun: what a session lost from now on held is kept for <see cref="Unacknowledged"/>.</summary>
    public void KeepLostMessages()
    {
        lock (_lock)
        {
            _closingGracefully = true;
        }
    }

    /// <summary>What the server never acknowledged: the sessions lost during the close, then the current one.</summary>
    public ClientCloseResult Unacknowledged()
    {
        var session = Volatile.Read(ref _session);
        lock (_lock)
        {
            var messages = new List<ReadOnlyMemory<byte>>(_lostWhileClosing ?? []);
            var count = _lostWhileClosingCount;
            if (session is not null && session.Session.Lost is null)
            {
                var unacknowledged = session.Session.CopyUnacknowledged();
                messages.AddRange(unacknowledged);
                count += unacknowledged.Count;
            }

            return new ClientCloseResult(messages, count);
        }
    }

    private void ReportLost(LinkedSession session, SessionLostReason reason, long? peerLost, string description)
    {
        bool closing;
        lock (_lock)
        {
            closing = _closingGracefully;
        }

        var info = session.MarkLost(reason, _options.ClientId, peerLost, description, keepPayloads: _events.HasSessionLostHandlers || closing, out var unacknowledged);
        _metrics.SessionsLost.Add(1, new KeyValuePair<string, object?>("reason", reason.ToString()));
        _log.SessionLost(session.Session.Id.ToString(), reason.ToString(), info.UnacknowledgedSent, peerLost ?? -1);
        if (closing)
        {
            lock (_lock)
            {
                (_lostWhileClosing ??= []).AddRange(unacknowledged);
                _lostWhileClosingCount += (int)Math.Min(info.UnacknowledgedSent, int.MaxValue);
            }
        }

        _events.PostSessionLost(new SessionLostEventArgs(info, unacknowledged));
        _lostPending = true;
    }
}
