using System.Diagnostics.Metrics;

namespace Tether.Diagnostics;

/// <summary>
/// The instruments of one server or client, on a <see cref="Meter"/> of its own named <see cref="TetherMeterNames.Server"/>
/// or <see cref="TetherMeterNames.Client"/>. Internal: applications reach the instruments by meter name (a
/// <see cref="MeterListener"/>, OpenTelemetry's <c>AddMeter</c>), never through this object, so they can neither record
/// into them nor depend on how they are held. Byte and frame counters are added once per receive or send batch, not
/// per frame, to keep them off the per-message path.
/// </summary>
internal sealed class TetherMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    /// <summary>
    /// Creates the instruments on a meter from <paramref name="meterFactory"/> (the host's: it owns and disposes the
    /// meter, and may hand the same one to several servers), or on a new meter owned by this object when it is null.
    /// </summary>
    public TetherMetrics(string meterName, IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(meterName) ?? new Meter(meterName);
        ConnectionsAccepted = _meter.CreateCounter<long>("tether.connections.accepted", "{connection}", "Connections accepted (server) or established (client).");
        ConnectionsClosed = _meter.CreateCounter<long>("tether.connections.closed", "{connection}", "Connections closed, tagged with reason.");
        ConnectionsActive = _meter.CreateUpDownCounter<long>("tether.connections.active", "{connection}", "Connections open now.");
        HandshakeFailures = _meter.CreateCounter<long>("tether.handshakes.failed", "{connection}", "Handshakes that failed, tagged with reason.");
        PingsSent = _meter.CreateCounter<long>("tether.heartbeat.pings_sent", "{frame}", "PING frames sent.");
        PongsReceived = _meter.CreateCounter<long>("tether.heartbeat.pongs_received", "{frame}", "PONG frames received.");
        HeartbeatTimeouts = _meter.CreateCounter<long>("tether.heartbeat.timeouts", "{connection}", "Peers declared dead after the heartbeat timeout.");
        RoundTripTime = _meter.CreateHistogram<double>("tether.heartbeat.rtt", "ms", "Round-trip time measured by PING/PONG.");
        BytesReceived = _meter.CreateCounter<long>("tether.bytes.received", "By", "Bytes read from sockets.");
        BytesSent = _meter.CreateCounter<long>("tether.bytes.sent", "By", "Bytes queued to sockets.");
        FramesReceived = _meter.CreateCounter<long>("tether.frames.received", "{frame}", "Frames read.");
        FramesSent = _meter.CreateCounter<long>("tether.frames.sent", "{frame}", "Frames queued.");
        MessagesReceived = _meter.CreateCounter<long>("tether.messages.received", "{message}", "Application messages received.");
        MessagesSent = _meter.CreateCounter<long>("tether.messages.sent", "{message}", "Application messages queued.");
        Reconnects = _meter.CreateCounter<long>("tether.client.reconnects", "{attempt}", "Reconnect attempts started by clients.");
        LimitRejections = _meter.CreateCounter<long>("tether.limits.rejected", "{event}", "Work refused because a limit was reached, tagged with limit.");
        AcksSent = _meter.CreateCounter<long>("tether.session.acks_sent", "{frame}", "ACK frames sent (acks carried on DATA are not counted).");
        DuplicatesDropped = _meter.CreateCounter<long>("tether.session.duplicates_dropped", "{message}", "Retransmitted messages dropped because they had been delivered.");
        SessionsStarted = _meter.CreateCounter<long>("tether.session.started", "{session}", "New sessions.");
        SessionsResumed = _meter.CreateCounter<long>("tether.session.resumed", "{session}", "Sessions resumed on a new connection.");
        SessionsExpired = _meter.CreateCounter<long>("tether.session.expired", "{session}", "Detached sessions discarded after their time to live with nothing undelivered (server).");
        SessionsLost = _meter.CreateCounter<long>("tether.session.lost", "{session}", "Sessions lost with messages possibly undelivered, tagged with reason.");
        MessagesResent = _meter.CreateCounter<long>("tether.session.messages_resent", "{message}", "Messages sent again after a resume.");
        SessionsDetached = _meter.CreateUpDownCounter<long>("tether.session.detached", "{session}", "Sessions kept without a connection, waiting for their client (server).");
        GoAwaysSent = _meter.CreateCounter<long>("tether.goaway.sent", "{frame}", "GOAWAY frames sent during graceful shutdown.");
        MemoryReturns = _meter.CreateCounter<long>("tether.memory.returns", "{collection}", "Aggressive full collections run to give memory back after the load fell from a peak (server).");
        MemoryReturned = _meter.CreateCounter<long>("tether.memory.returned", "By", "Committed memory given back by those collections (server).");
        HandlerErrors = _meter.CreateCounter<long>("tether.handler.errors", "{exception}", "Exceptions thrown by application callbacks (message handlers, event handlers), tagged with callback; the connection goes on.");
        EngineFailures = _meter.CreateCounter<long>("tether.transport.engine_failures", "{failure}", "Fatal epoll_wait failures of the readiness engine; its connections close with the reason and new ones use the portable transport.");
    }

    /// <summary>The meter the instruments belong to (tests listen to it by reference to tell instances apart).</summary>
    public Meter Meter => _meter;

    /// <summary>Connections accepted or established.</summary>
    public Counter<long> ConnectionsAccepted { get; }

    /// <summary>Connections closed, tag <c>reason</c>.</summary>
    public Counter<long> ConnectionsClosed { get; }

    /// <summary>Connections open now.</summary>
    public UpDownCounter<long> ConnectionsActive { get; }

    /// <summary>Failed handshakes, tag <c>reason</c>.</summary>
    public Counter<long> HandshakeFailures { get; }

    /// <summary>PING frames sent.</summary>
    public Counter<long> PingsSent { get; }

    /// <summary>PONG frames received.</summary>
    public Counter<long> PongsReceived { get; }

    /// <summary>Heartbeat timeouts.</summary>
    public Counter<long> HeartbeatTimeouts { get; }

    /// <summary>Round-trip times in milliseconds.</summary>
    public Histogram<double> RoundTripTime { get; }

    /// <summary>Bytes read.</summary>
    public Counter<long> BytesReceived { get; }

    /// <summary>Bytes queued for sending.</summary>
    public Counter<long> BytesSent { get; }

    /// <summary>Frames read.</summary>
    public Counter<long> FramesReceived { get; }

    /// <summary>Frames queued.</summary>
    public Counter<long> FramesSent { get; }

    /// <summary>Application messages received.</summary>
    public Counter<long> MessagesReceived { get; }

    /// <summary>Application messages queued.</summary>
    public Counter<long> MessagesSent { get; }

    /// <summary>Client reconnect attempts.</summary>
    public Counter<long> Reconnects { get; }

    /// <summary>Refusals because a limit was hit, tag <c>limit</c>.</summary>
    public Counter<long> LimitRejections { get; }

    /// <summary>ACK frames sent.</summary>
    public Counter<long> AcksSent { get; }

    /// <summary>Duplicates dropped by sequence number.</summary>
    public Counter<long> DuplicatesDropped { get; }

    /// <summary>New sessions.</summary>
    public Counter<long> SessionsStarted { get; }

    /// <summary>Sessions resumed.</summary>
    public Counter<long> SessionsResumed { get; }

    /// <summary>Detached sessions that expired with nothing undelivered: an ended session, not a lost one.</summary>
    public Counter<long> SessionsExpired { get; }

    /// <summary>Sessions lost, tag <c>reason</c>.</summary>
    public Counter<long> SessionsLost { get; }

    /// <summary>Messages resent after a resume.</summary>
    public Counter<long> MessagesResent { get; }

    /// <summary>Detached sessions held now (server).</summary>
    public UpDownCounter<long> SessionsDetached { get; }

    /// <summary>GOAWAY frames sent.</summary>
    public Counter<long> GoAwaysSent { get; }

    /// <summary>tether.memory.returns: collections run to give memory back after a peak.</summary>
    public Counter<long> MemoryReturns { get; }

    /// <summary>tether.memory.returned: bytes of committed memory those collections gave back.</summary>
    public Counter<long> MemoryReturned { get; }

    /// <summary>Exceptions thrown by application callbacks, tagged with the callback; they never end a connection.</summary>
    public Counter<long> HandlerErrors { get; }

    /// <summary>tether.transport.engine_failures: fatal failures of the readiness engine.</summary>
    public Counter<long> EngineFailures { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
