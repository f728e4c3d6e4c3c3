using Tether.Sessions;

namespace Tether.Tests.Sessions;

/// <summary>Which end of the simulated session: the client resumes (sends HELLO), the server answers (WELCOME).</summary>
internal enum Side
{
    Client,
    Server,
}

/// <summary>One step of a simulated schedule.</summary>
internal abstract record SimStep;

/// <summary>The application on <paramref name="From"/> sends a message of <paramref name="Length"/> bytes.</summary>
internal sealed record SendStep(Side From, int Length) : SimStep
{
    public override string ToString() => $"send {From} {Length}B";
}

/// <summary>Up to <paramref name="Frames"/> frames in flight towards <paramref name="To"/> arrive, in order.</summary>
internal sealed record DeliverStep(Side To, int Frames) : SimStep
{
    public override string ToString() => $"deliver {Frames} to {To}";
}

/// <summary>Time passes; <paramref name="Side"/> sends its pending ack alone if its ack deadline has come.</summary>
internal sealed record AckTimerStep(Side Side, int Elapsed) : SimStep
{
    public override string ToString() => $"ack timer {Side} +{Elapsed}";
}

/// <summary>The connection drops: frames in flight on it are lost; both sides detach.</summary>
internal sealed record CutStep : SimStep
{
    public override string ToString() => "cut";
}

/// <summary>A detached client connects again and sends HELLO with RESUME and its last received seq.</summary>
internal sealed record ResumeStep : SimStep
{
    public override string ToString() => "resume";
}

/// <summary>
/// A model of a reliable session (protocol section 10) between a client and a server, without sockets: each side is
/// the real <see cref="ReplayBuffer"/> and <see cref="InboundSequence"/>, the connection is a pair of in-order frame
/// queues that a cut empties. It follows the rules of sections 10.3-10.6 the way <see cref="ReliableSession"/> does and
/// fails (through xunit assertions) as soon as a rule is broken: a gap, an ack of something never sent, a resume that
/// would need frames already freed, a retransmitted payload that differs from the original.
/// </summary>
internal sealed class SessionLinkSimulator
{
    private long _now;

    /// <summary>
    /// A session on a live connection. With <paramref name="conservativeReplay"/> a resuming side retransmits everything
    /// it holds before freeing up to the peer's position (legal but wasteful: the peer drops the extra frames as
    /// duplicates), which exercises the duplicate path.
    /// </summary>
    public SessionLinkSimulator(AckPolicy clientPolicy, AckPolicy serverPolicy, bool conservativeReplay = false, long start = 1_000_000)
    {
        Client = new Peer(Side.Client, clientPolicy);
        Server = new Peer(Side.Server, serverPolicy);
        Client.Other = Server;
        Server.Other = Client;
        ConservativeReplay = conservativeReplay;
        _now = start;

        // The session starts on a live connection (HELLO SESSION / WELCOME SESSION, both positions 0).
        Client.Attached = Server.Attached = true;
    }

    public Peer Client { get; }

    public Peer Server { get; }

    public bool ConservativeReplay { get; }

    public int Cuts { get; private set; }

    public int Resumes { get; private set; }

    /// <summary>The most replay-buffer entries seen stored in two pieces (wrapped around the ring) after a step.</summary>
    public int MaxWrappedEntries { get; private set; }

    public Peer this[Side side] => side == Side.Client ? Client : Server;

    public void Run(SimStep step)
    {
        switch (step)
        {
            case SendStep send:
                Send(send.From, send.Length);
                break;
            case DeliverStep deliver:
                Deliver(deliver.To, deliver.Frames);
                break;
            case AckTimerStep timer:
                AckTimer(timer.Side, timer.Elapsed);
                break;
            case CutStep:
                Cut();
                break;
            case ResumeStep:
                Resume();
                break;
        }

        AssertInvariants();
    }

    /// <summary>The application sends: the message is numbered into the replay buffer and written if attached.</summary>
    public ulong Send(Side from, int length)
    {
        var peer = this[from];
        var payload = MessagePayload(from, peer.Outbound.LastSequence + 1, length);
        var sequence = peer.Outbound.Append(payload);
        Assert.Equal((ulong)peer.Sent.Count + 1, sequence);
        peer.Sent.Add(payload);
        if (peer.Attached)
        {
            Transmit(peer, sequence, payload);
        }

        return sequence;
    }

    /// <summary>Up to <paramref name="frames"/> frames in flight to <paramref name="to"/> arrive; returns how many did.</summary>
    public int Deliver(Side to, int frames)
    {
        var peer = this[to];
        var delivered = 0;
        while (delivered < frames && peer.Incoming.TryDequeue(out var frame))
        {
            Process(peer, frame);
            delivered++;
        }

        return delivered;
    }

    public void AckTimer(Side side, int elapsed)
    {
        _now += elapsed;
        var peer = this[side];
        if (peer.Attached && peer.Inbound.HasPendingAck && _now >= peer.Inbound.AckDeadline)
        {
            SendAck(peer);
        }
    }

    public void Cut()
    {
        Cuts++;
        Client.Incoming.Clear();
        Server.Incoming.Clear();
        Client.Attached = Server.Attached = false;
        Client.AwaitingWelcome = false;
    }

    /// <summary>The client connects again and sends HELLO SESSION|RESUME with its last received seq (section 10.6 step 1).</summary>
    public void Resume()
    {
        if (Client.Attached || Client.AwaitingWelcome)
        {
            return;
        }

        Resumes++;
        Client.AwaitingWelcome = true;
        Server.Incoming.Enqueue(new HelloFrame(Client.Inbound.LastReceived));
    }

    /// <summary>
    /// Brings the session to rest: resumes if detached, lets every frame arrive, sends the pending acks and lets them
    /// arrive too. Afterwards both sides have delivered and acknowledged everything the other sent.
    /// </summary>
    public void FlushEverything()
    {
        Resume();
        DrainAll();
        foreach (var peer in new[] { Client, Server })
        {
            if (peer.Inbound.HasPendingAck)
            {
                SendAck(peer);
            }
        }

        DrainAll();
        AssertInvariants();
    }

    /// <summary>Rules that hold after every step, whatever the schedule.</summary>
    public void AssertInvariants()
    {
        foreach (var peer in new[] { Client, Server })
        {
            Assert.Equal((ulong)peer.Sent.Count, peer.Outbound.LastSequence);
            Assert.Equal((ulong)peer.Delivered.Count, peer.Inbound.LastReceived);

            // A sender only ever frees what the receiver has: nothing is freed that might still be needed.
            if (peer.Outbound.Acknowledged > peer.Other.Inbound.LastReceived)
            {
                Assert.Fail($"{peer.Side} freed up to {peer.Outbound.Acknowledged} but {peer.Other.Side} has only received {peer.Other.Inbound.LastReceived}");
            }

            // The replay buffer holds exactly the frames the peer may lack, with their original payloads.
            MaxWrappedEntries = Math.Max(MaxWrappedEntries, peer.Outbound.WrappedEntries());
            var expected = peer.Outbound.Acknowledged + 1;
            foreach (var entry in peer.Outbound)
            {
                Assert.Equal(expected++, entry.Sequence);
                var sent = peer.Sent[(int)entry.Sequence - 1];
                if (entry.Length != sent.Length
                    || !entry.First.SequenceEqual(sent.AsSpan(0, entry.First.Length))
                    || !entry.Second.SequenceEqual(sent.AsSpan(entry.First.Length)))
                {
                    Assert.Fail($"{peer.Side}'s replay buffer holds other bytes for seq {entry.Sequence} than were sent");
                }
            }

            Assert.Equal(peer.Outbound.LastSequence + 1, expected);
        }
    }

    /// <summary>The payload of message <paramref name="sequence"/> from <paramref name="side"/>: recognisable bytes.</summary>
    public static byte[] MessagePayload(Side side, ulong sequence, int length) =>
        new PayloadSpec(length, (int)side * 1_000_003 + (int)sequence).ToBytes();

    private void DrainAll()
    {
        while (Client.Incoming.Count > 0 || Server.Incoming.Count > 0)
        {
            Deliver(Side.Server, int.MaxValue);
            Deliver(Side.Client, int.MaxValue);
        }
    }

    /// <summary>Writes DATA on the live connection, with the pending ack piggy-backed (section 10.4).</summary>
    private static void Transmit(Peer peer, ulong sequence, byte[] payload)
    {
        ulong? ack = peer.Inbound.HasPendingAck ? peer.Inbound.TakeAck() : null;
        peer.Other.Incoming.Enqueue(new DataFrame(sequence, payload, ack));
        peer.FramesSent++;
    }

    private static void SendAck(Peer peer)
    {
        Assert.True(peer.Attached, $"{peer.Side} acks while detached");
        peer.Other.Incoming.Enqueue(new AckFrame(peer.Inbound.TakeAck()));
        peer.StandaloneAcks++;
    }

    private void Process(Peer peer, Frame frame)
    {
        switch (frame)
        {
            case DataFrame data:
                Assert.True(peer.Attached, $"{peer.Side} got DATA {data.Sequence} before its handshake completed");
                if (data.Ack is { } piggyBacked)
                {
                    OnAck(peer, piggyBacked);
                    peer.PiggyBackedAcksReceived++;
                }

                OnData(peer, data);
                break;
            case AckFrame ack:
                OnAck(peer, ack.Ack);
                break;
            case HelloFrame hello:
                Assert.Equal(Side.Server, peer.Side);
                Attach(peer, hello.LastReceived, () => Client.Incoming.Enqueue(new WelcomeFrame(Server.Inbound.LastReceived)));
                break;
            case WelcomeFrame welcome:
                Assert.Equal(Side.Client, peer.Side);
                Assert.True(peer.AwaitingWelcome);
                peer.AwaitingWelcome = false;
                Attach(peer, welcome.LastReceived, null);
                break;
        }
    }

    private void OnData(Peer peer, DataFrame data)
    {
        // Whether new or a duplicate, a frame carries the payload that was sent under its seq (section 10.6 step 3).
        var sent = peer.Other.Sent;
        Assert.True(data.Sequence >= 1 && data.Sequence <= (ulong)sent.Count, $"{peer.Side} got DATA {data.Sequence}, never sent");
        Assert.Equal(sent[(int)data.Sequence - 1], data.Payload);

        switch (peer.Inbound.Classify(data.Sequence))
        {
            case SequenceVerdict.Deliver:
                peer.Delivered.Add(data.Sequence);
                if (peer.Inbound.OnDelivered(data.Payload.Length, _now))
                {
                    SendAck(peer);
                }

                break;
            case SequenceVerdict.Duplicate:
                peer.Inbound.OnDuplicate();
                break;
            case SequenceVerdict.Gap:
                Assert.Fail($"{peer.Side} got DATA {data.Sequence} after {peer.Inbound.LastReceived}: a gap (PROTOCOL_ERROR)");
                break;
        }
    }

    private static void OnAck(Peer peer, ulong ack)
    {
        var outcome = peer.Outbound.Acknowledge(ack);
        Assert.True(
            outcome != AckOutcome.BeyondLastSent,
            $"{peer.Side} got ack {ack} beyond its last seq {peer.Outbound.LastSequence} (PROTOCOL_ERROR)");
    }

    /// <summary>
    /// Section 10.6 step 3, as <see cref="ReliableSession.Attach"/> does it: free up to the peer's position, write the
    /// handshake (server), retransmit in order everything still held, and count the handshake as our ack.
    /// </summary>
    private void Attach(Peer peer, ulong peerLastReceived, Action? writeHandshake)
    {
        Assert.True(
            peerLastReceived <= peer.Outbound.LastSequence,
            $"{peer.Other.Side} says it received {peerLastReceived} but {peer.Side} sent only {peer.Outbound.LastSequence} (PROTOCOL_ERROR)");
        Assert.True(
            peerLastReceived >= peer.Outbound.Acknowledged,
            $"{peer.Other.Side} lacks frames after {peerLastReceived} that {peer.Side} freed up to {peer.Outbound.Acknowledged} (would be a session reset)");

        if (!ConservativeReplay)
        {
            peer.Outbound.Acknowledge(peerLastReceived);
        }

        writeHandshake?.Invoke();
        var resend = new List<(ulong Sequence, byte[] Payload)>();
        foreach (var entry in peer.Outbound)
        {
            resend.Add((entry.Sequence, ReplayBufferInspection.Join(entry)));
        }

        var expectedNext = peer.Outbound.Acknowledged + 1;
        foreach (var (sequence, payload) in resend)
        {
            Assert.Equal(expectedNext++, sequence);
            Transmit(peer, sequence, payload);
            peer.Retransmitted++;
        }

        if (ConservativeReplay)
        {
            peer.Outbound.Acknowledge(peerLastReceived);
        }

        peer.Inbound.MarkAcknowledgedInHandshake();
        peer.Attached = true;
    }

    /// <summary>One end of the session and what it did.</summary>
    internal sealed class Peer(Side side, AckPolicy policy)
    {
        public Side Side { get; } = side;

        public Peer Other { get; set; } = null!;

        public ReplayBuffer Outbound { get; } = new();

        public InboundSequence Inbound { get; } = new(policy);

        /// <summary>Every payload the application sent, by seq - 1.</summary>
        public List<byte[]> Sent { get; } = [];

        /// <summary>The seqs delivered to the application, in delivery order.</summary>
        public List<ulong> Delivered { get; } = [];

        /// <summary>Frames in flight towards this side on the current connection, oldest first.</summary>
        public Queue<Frame> Incoming { get; } = new();

        public bool Attached { get; set; }

        public bool AwaitingWelcome { get; set; }

        public int FramesSent { get; set; }

        public int Retransmitted { get; set; }

        public int StandaloneAcks { get; set; }

        public int PiggyBackedAcksReceived { get; set; }
    }

    internal abstract record Frame;

    internal sealed record DataFrame(ulong Sequence, byte[] Payload, ulong? Ack) : Frame;

    internal sealed record AckFrame(ulong Ack) : Frame;

    internal sealed record HelloFrame(ulong LastReceived) : Frame;

    internal sealed record WelcomeFrame(ulong LastReceived) : Frame;
}
