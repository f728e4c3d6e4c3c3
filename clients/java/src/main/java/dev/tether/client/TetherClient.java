package dev.tether.client;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Tether client: keeps one connection open to one of its endpoints, with heartbeats that detect a dead server,
 * reconnects with exponential backoff and full jitter, and (by default) a reliable session that resumes after a
 * reconnect so that messages arrive exactly once and in order.
 *
 * <pre>{@code
 * var echo = new CompletableFuture<byte[]>();
 * var options = TetherClientOptions.builder().endpoint("127.0.0.1", 7447).build();
 * try (var client = new TetherClient(options, TetherClientListener.onMessage(echo::complete))) {
 *     client.connectAsync().get();
 *     client.send("hello".getBytes()).get();
 *     System.out.println(new String(echo.get()));
 *     client.close(Duration.ofSeconds(5));
 * }
 * }</pre>
 *
 * Threads: one run-loop thread that connects and then reads the open connection, one writer thread per connection,
 * a timer thread (heartbeat, acks, backoff deadlines) and an event thread that calls the listener in order.
 */
public final class TetherClient implements AutoCloseable {
    private final TetherClientOptions options;
    private final TetherClientListener listener;
    private final Backoff backoff;
    private final EndpointSelector selector;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService events;
    private final Object lock = new Object();
    private final CompletableFuture<Void> connected = new CompletableFuture<>();
    private final CompletableFuture<Void> completion = new CompletableFuture<>();
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private volatile Thread eventThread;
    private volatile Socket opening;
    private Thread loop;
    private TlsSockets tls;
    private boolean started;
    private boolean closeRequested;
    private boolean stopping;
    private boolean finished;
    private int unacknowledgedAtEnd;
    private Connection current;
    private ClientSession session;
    private long pendingBytes;
    private long retryDeadlineNanos;
    private boolean hasRetryDeadline;
    private ScheduledFuture<?> ackTimer;
    private long knownPeerMaxFrameSize = -1;

    /** A message accepted by {@link #send} and not yet handed to a connection. */
    private record Pending(byte[] payload, CompletableFuture<Void> future) {
    }

    public TetherClient(TetherClientOptions options) {
        this(options, null);
    }

    public TetherClient(TetherClientOptions options, TetherClientListener listener) {
        this.options = Objects.requireNonNull(options, "options");
        this.listener = listener != null ? listener : new TetherClientListener() {
        };
        this.backoff = new Backoff(options.backoffBase(), options.backoffMax());
        this.selector = new EndpointSelector(options.endpoints(), options.endpointSelection());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("tether-timer"));
        this.events = Executors.newSingleThreadExecutor(r -> {
            Thread t = daemon("tether-events").newThread(r);
            eventThread = t;
            return t;
        });
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Starts the client. The future completes when the first connection is open, or fails with a
     * {@link TetherException} when the client gives up (max attempts, or a refusal that cannot heal) before that.
     * Calling it again returns the same future.
     */
    public CompletableFuture<Void> connectAsync() {
        synchronized (lock) {
            if (!started) {
                started = true;
                if (options.tls()) {
                    try {
                        tls = new TlsSockets(options);
                    } catch (IOException e) {
                        TetherException error = new TetherException(e.getMessage(), e);
                        finishLocked();
                        announceEnd(error);
                        return connected;
                    }
                }
                loop = new Thread(this::runLoop, "tether-client");
                loop.setDaemon(true);
                loop.start();
            }
            return connected;
        }
    }

    /** Completes when the client has stopped for good: normally after {@link #close}, exceptionally when it gave up. */
    public CompletableFuture<Void> completion() {
        return completion;
    }

    /**
     * Sends one message. The future completes once the message is handed to a connection (in a session it is then
     * kept until acknowledged and resent after a resume). While disconnected it waits for the next connection: in a
     * session for as long as it takes, otherwise (before the first connection, or with sessions off) up to the
     * disconnected-send timeout. A message larger than the server accepts fails at once with an
     * {@link IllegalArgumentException} (D3: the server's maxFrameSize minus 8 in a session).
     */
    public CompletableFuture<Void> send(byte[] message) {
        Objects.requireNonNull(message, "message");
        byte[] payload = message.clone();
        CompletableFuture<Void> future = new CompletableFuture<>();
        synchronized (lock) {
            if (closeRequested || finished) {
                future.completeExceptionally(new TetherException("the client is closed"));
                return future;
            }
            if (knownPeerMaxFrameSize >= 0) {
                long limit = largestMessage(knownPeerMaxFrameSize, current != null ? session != null : options.sessions());
                if (payload.length > limit) {
                    future.completeExceptionally(tooLarge(payload.length, limit));
                    return future;
                }
            }
            if (pendingBytes + payload.length > options.maxPendingOutboundBytes() && !pending.isEmpty()) {
                future.completeExceptionally(new TetherException("the outbound queue is full ("
                    + options.maxPendingOutboundBytes() + " bytes wait for a connection)"));
                return future;
            }
            Pending item = new Pending(payload, future);
            pending.addLast(item);
            pendingBytes += payload.length;
            pump();
            if (pending.contains(item) && current == null && session == null) {
                scheduleSendTimeout(item);
            }
        }
        return future;
    }

    /** D3: the peer's maximum DATA body, less the SEQ field in a session. */
    private static long largestMessage(long peerMax, boolean inSession) {
        return inSession ? peerMax - 8 : peerMax;
    }

    private static IllegalArgumentException tooLarge(int length, long limit) {
        return new IllegalArgumentException("message of " + length + " bytes exceeds the largest the server accepts ("
            + limit + " bytes)");
    }

    private void scheduleSendTimeout(Pending item) {
        long millis = options.disconnectedSendTimeout().toMillis();
        try {
            scheduler.schedule(() -> {
                synchronized (lock) {
                    // A session keeps what waits for the resume; without one the wait is bounded.
                    if (current == null && session == null && pending.remove(item)) {
                        pendingBytes -= item.payload().length;
                        completeLater(item.future(), new TetherException("not connected for " + millis
                            + " ms: the message was not sent"));
                    } else if (pending.contains(item) && session == null) {
                        scheduleSendTimeout(item);
                    }
                }
            }, millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException ignored) {
            // The client is ending; the end fails every pending send.
        }
    }

    /** The session id (32 hex digits) while a session exists, else null. */
    public String sessionId() {
        synchronized (lock) {
            return session == null ? null : session.idHex();
        }
    }

    /** Messages sent but not yet acknowledged, plus those still waiting for a connection. */
    public int unacknowledgedMessages() {
        synchronized (lock) {
            return unacknowledgedLocked();
        }
    }

    /** Whether a connection is open now. */
    public boolean isConnected() {
        synchronized (lock) {
            return current != null;
        }
    }

    private int unacknowledgedLocked() {
        return pending.size() + (session != null ? session.unacknowledgedCount() : 0);
    }

    /**
     * Closes gracefully: waits up to {@code acknowledgementTimeout} for the server to acknowledge every message (in
     * a session) and for waiting messages to go out, sends the pending ack and CLOSE 1000, and stops. Returns how
     * many messages stayed unacknowledged (0 means everything was delivered).
     */
    public int close(Duration acknowledgementTimeout) {
        Thread runLoop;
        synchronized (lock) {
            if (!started) {
                started = true;
                closeRequested = true;
                int left = pending.size();
                finishLocked();
                announceEnd(null);
                return left;
            }
            closeRequested = true;
            long deadline = System.nanoTime() + acknowledgementTimeout.toNanos();
            try {
                while (!finished && unacknowledgedLocked() > 0) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        break;
                    }
                    lock.wait(left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            stopping = true;
            Connection c = current;
            if (c != null) {
                if (session != null && session.ackPending()) {
                    c.send(FrameCodec.encode(new Frame.Ack(session.takeAck())));
                }
                c.close(CloseCodes.NORMAL, "closed by the client",
                    new DisconnectInfo("closed", null, "closed by the application"), false);
            }
            Socket attempt = opening;
            if (c == null && attempt != null) {
                Connection.closeQuietly(attempt);
            }
            lock.notifyAll();
            runLoop = loop;
        }
        if (runLoop != null && runLoop != Thread.currentThread()) {
            try {
                runLoop.join(options.closeLinger().toMillis() + options.connectTimeout().toMillis() + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (Thread.currentThread() != eventThread) {
            try {
                events.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (lock) {
            return finished ? unacknowledgedAtEnd : unacknowledgedLocked();
        }
    }

    /** Closes without waiting for acknowledgements. */
    @Override
    public void close() {
        close(Duration.ZERO);
    }

    // ---- the run loop -------------------------------------------------------------------------------------------

    private void runLoop() {
        int attempt = 0;
        Throwable lastError = null;
        DisconnectInfo lastDisconnect = null;
        TetherException outcome = null;
        try {
            Endpoint endpoint = selector.next();
            while (true) {
                Frame.Hello hello;
                synchronized (lock) {
                    if (stopping) {
                        break;
                    }
                    hello = buildHello();
                }
                Connection c = null;
                try {
                    c = Connection.open(endpoint, hello, options, tls, scheduler, s -> opening = s);
                    opening = null;
                    activate(c, hello);
                } catch (Connection.RefusedException e) {
                    synchronized (lock) {
                        noteHints(e.close.retryAfterMs(), e.close.extensions());
                    }
                    if (!CloseCodes.allowsReconnect(e.close.code())) {
                        outcome = new TetherException(e.getMessage(), e.close.code(), null);
                        break;
                    }
                    lastError = e;
                } catch (IOException | ProtocolException e) {
                    lastError = e;
                    c = null;
                } finally {
                    opening = null;
                }
                synchronized (lock) {
                    if (stopping) {
                        if (c != null) {
                            c.abort(new DisconnectInfo("closed", null, "closed by the application"));
                        }
                        break;
                    }
                }
                if (c != null) {
                    DisconnectInfo info = readLoop(c);
                    synchronized (lock) {
                        if (current == c) {
                            current = null;
                        }
                        cancelAckTimer();
                    }
                    boolean local = "closed".equals(info.reason());
                    if (!local) {
                        emit(l -> l.onDisconnected(info));
                    }
                    synchronized (lock) {
                        if (stopping || local) {
                            break;
                        }
                    }
                    if (!info.allowsReconnect() || !options.reconnect()) {
                        outcome = new DisconnectedException("disconnected from " + c.endpoint + ": "
                            + info.description(), info);
                        break;
                    }
                    if (System.nanoTime() - c.openedAtNanos >= options.stableAfter().toNanos()) {
                        attempt = 0;
                    }
                    lastDisconnect = info;
                    lastError = null;
                } else if (!options.reconnect()) {
                    outcome = new TetherException(lastError.getMessage(), lastError);
                    break;
                }
                attempt++;
                Integer max = options.maxAttempts();
                if (max != null && attempt >= max) {
                    String why = lastError != null ? lastError.getMessage() : lastDisconnect.description();
                    outcome = new TetherException(why + " (gave up after " + max + " attempt" + (max == 1 ? "" : "s")
                        + ")", lastError);
                    break;
                }
                long delay = backoff.nextDelayMillis(attempt);
                synchronized (lock) {
                    if (hasRetryDeadline) {
                        long hint = (long) Math.ceil((retryDeadlineNanos - System.nanoTime()) / 1e6);
                        delay = Math.max(delay, hint);
                        hasRetryDeadline = false;
                    }
                }
                endpoint = selector.next();
                int n = attempt;
                long d = delay;
                Endpoint next = endpoint;
                Throwable error = c == null ? lastError : null;
                emit(l -> l.onReconnecting(n, d, next, error));
                synchronized (lock) {
                    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
                    long left;
                    while (!stopping && (left = end - System.nanoTime()) > 0) {
                        lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    }
                    if (stopping) {
                        break;
                    }
                }
            }
        } catch (InterruptedException e) {
            outcome = new TetherException("the client was interrupted", e);
        } catch (RuntimeException | Error e) {
            outcome = new TetherException("the client stopped: " + e, e);
        }
        synchronized (lock) {
            finishLocked();
        }
        announceEnd(outcome);
    }

    /** A client that ended because the server closed for good; {@link #disconnect()} tells how. */
    public static final class DisconnectedException extends TetherException {
        private static final long serialVersionUID = 1L;
        private final transient DisconnectInfo disconnect;

        DisconnectedException(String message, DisconnectInfo disconnect) {
            super(message, disconnect.code(), null);
            this.disconnect = disconnect;
        }

        public DisconnectInfo disconnect() {
            return disconnect;
        }
    }

    private Frame.Hello buildHello() {
        boolean resume = session != null;
        byte[] id = resume ? session.id() : new byte[16];
        long last = resume ? session.lastReceivedSeq() : 0;
        long interval = options.heartbeatInterval() == null ? 0 : options.heartbeatInterval().toMillis();
        long timeout = options.heartbeatTimeout() == null ? 0 : options.heartbeatTimeout().toMillis();
        return new Frame.Hello(options.sessions(), resume, 1, 1, Math.min(interval, 0xFFFFFFFFL),
            Math.min(timeout, 0xFFFFFFFFL), options.maxFrameSize(), id, last, options.clientId(), options.token(),
            List.of());
    }

    /**
     * Applies the WELCOME to the session and makes the connection current. A WELCOME the client must refuse (D7) or
     * a client-side gap (section 10.6 step 4) closes the connection and fails the attempt.
     */
    private void activate(Connection c, Frame.Hello hello) throws IOException, ProtocolException {
        ProtocolException violation = null;
        synchronized (lock) {
            try {
                if (applyWelcome(c, hello)) {
                    current = c;
                    knownPeerMaxFrameSize = c.peerMaxFrameSize();
                    selector.onConnected();
                    c.startHeartbeat();
                    pump();
                    lock.notifyAll();
                    return;
                }
            } catch (ProtocolException e) {
                violation = e;
            }
        }
        String why = violation != null ? violation.getMessage()
            : "the server lacks messages the client no longer holds; starting a new session";
        DisconnectInfo info = new DisconnectInfo("protocol-error", null, why);
        c.close(violation != null ? violation.closeCode() : CloseCodes.NORMAL, violation != null ? why : "session gap",
            info, false);
        c.discardInput();
        c.shutdown();
        if (violation != null) {
            throw violation;
        }
        throw new IOException(why);
    }

    /**
     * Section 10 on a WELCOME: resume (retransmit what the server lacks), reset (report the lost session, D9), new
     * session or none. Events are queued in order: resumed or session-lost, then connected. Returns false on a
     * client-side gap (section 10.6 step 4).
     */
    private boolean applyWelcome(Connection c, Frame.Hello hello) throws ProtocolException {
        Frame.Welcome w = c.welcome;
        if (w.session() && !hello.session()) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "WELCOME grants a session the client did not ask for");
        }
        if (w.resumed() && !hello.resume()) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "WELCOME has RESUMED but the HELLO did not ask to resume");
        }
        Endpoint endpoint = c.endpoint;
        if (hello.resume() && w.resumed()) {
            if (!java.util.Arrays.equals(w.sessionId(), session.id())) {
                throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "WELCOME resumed session "
                    + Hex.encode(w.sessionId()) + ", not the requested " + session.idHex());
            }
            List<ClientSession.Sent> resend = session.resume(w.lastReceivedSeq());
            if (resend == null) {
                reportLost("gap", null, "the server lacks messages the client no longer holds");
                session = null;
                return false;
            }
            for (ClientSession.Sent sent : resend) {
                c.send(FrameCodec.encode(new Frame.Data(sent.seq(), null, sent.payload())));
            }
            String id = session.idHex();
            long serverLast = w.lastReceivedSeq();
            int count = resend.size();
            emit(l -> l.onResumed(id, serverLast, count));
        } else {
            if (hello.resume()) {
                if (w.session()) {
                    long lost = w.lostCount();
                    String reason = resetReason(w.sessionResetReason());
                    reportLost(reason, w.sessionResetReason() == 0 || lost == 0xFFFFFFFFL ? null : lost,
                        "the server did not resume session " + session.idHex() + " (" + reason + ")");
                } else {
                    reportLost("not-granted", null, "the server granted no session this time; session " + session.idHex()
                        + " is lost");
                }
            }
            session = w.session() ? new ClientSession(w.sessionId(), options.ackAfterMessages(),
                options.ackAfterBytes(), options.maxUnacknowledgedBytes()) : null;
        }
        emit(l -> l.onConnected(endpoint));
        events.execute(() -> connected.complete(null));
        return true;
    }

    private static String resetReason(int code) {
        switch (code) {
            case 2:
                return "expired";
            case 3:
                return "overflow";
            case 4:
                return "gap";
            default:
                return "unknown";
        }
    }

    private void reportLost(String reason, Long serverLost, String description) {
        SessionLostInfo info = new SessionLostInfo(session.idHex(), reason, session.unacknowledgedCount(), serverLost,
            description, session.unacknowledgedPayloads());
        emit(l -> l.onSessionLost(info));
    }

    private DisconnectInfo readLoop(Connection c) {
        try {
            while (true) {
                Frame frame = c.reader.read(options.maxFrameSize(), false);
                if (frame == null) {
                    c.setEnded(DisconnectInfo.lost("the server closed the connection without CLOSE"));
                    break;
                }
                c.received();
                if (frame instanceof Frame.Close close) {
                    synchronized (lock) {
                        noteHints(close.retryAfterMs(), close.extensions());
                    }
                    c.closeReceived(DisconnectInfo.received(close.code(), close.reason()));
                    break;
                }
                handle(c, frame);
            }
        } catch (ProtocolException e) {
            if (c.closeQueued()) {
                // Our CLOSE is already out; what follows it is only waited for, not judged.
                c.discardInput();
            } else if (e.frameType() == Frame.CLOSE) {
                // D1: a malformed CLOSE is never answered; it counts as a protocol error for reconnecting.
                c.abort(new DisconnectInfo("protocol-error", null, "malformed CLOSE from the server: " + e.getMessage()));
            } else {
                c.close(e.closeCode(), e.getMessage(), new DisconnectInfo("protocol-error", null, e.getMessage()), false);
                c.discardInput();
            }
        } catch (IOException e) {
            c.setEnded(DisconnectInfo.lost("the connection to " + c.endpoint + " failed: " + e.getMessage()));
        } finally {
            c.shutdown();
        }
        return c.ended();
    }

    private void handle(Connection c, Frame frame) throws ProtocolException {
        if (frame instanceof Frame.Data d) {
            synchronized (lock) {
                byte[] payload = d.payload();
                if (session != null) {
                    if (d.seq() == null) {
                        throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "DATA without SEQ in a session");
                    }
                    if (d.ack() != null) {
                        acknowledged(d.ack());
                    }
                    if (session.receive(d.seq(), payload.length) == ClientSession.Receipt.DELIVER) {
                        emit(l -> l.onMessage(payload));
                        ackLater(c);
                    }
                } else {
                    if (d.seq() != null || d.ack() != null) {
                        throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "DATA with SEQ or ACK outside a session");
                    }
                    emit(l -> l.onMessage(payload));
                }
            }
        } else if (frame instanceof Frame.Ack a) {
            synchronized (lock) {
                if (session == null) {
                    throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "ACK outside a session");
                }
                acknowledged(a.ack());
            }
        } else if (frame instanceof Frame.Ping p) {
            c.sendFirst(FrameCodec.encode(new Frame.Pong(p.value())));
        } else if (frame instanceof Frame.Pong p) {
            Double rtt = c.pongReceived(p.value());
            if (rtt != null) {
                emit(l -> l.onRoundTripTime(rtt));
            }
        } else if (frame instanceof Frame.GoAway g) {
            goAway(c, g);
        } else if (frame instanceof Frame.Welcome) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "a second WELCOME");
        } else if (frame instanceof Frame.Hello) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "the server sent HELLO");
        }
        // Extension frames: version 1 defines none; they are skipped (they still counted as received).
    }

    /** D6: no new DATA on this connection, the pending ack, then CLOSE 1000; reconnect after the hint. */
    private void goAway(Connection c, Frame.GoAway g) {
        synchronized (lock) {
            c.markDraining();
            noteHints(g.retryAfterMs(), g.extensions());
            if (session != null && session.ackPending()) {
                c.send(FrameCodec.encode(new Frame.Ack(session.takeAck())));
            }
            c.close(CloseCodes.NORMAL, "going away", new DisconnectInfo("going-away", CloseCodes.GOING_AWAY,
                g.reason().isEmpty() ? "server going away" : g.reason()), false);
        }
    }

    private void acknowledged(long ack) throws ProtocolException {
        if (session.acknowledge(ack) > 0) {
            pump();
            lock.notifyAll();
        }
    }

    private void ackLater(Connection c) {
        if (session.ackDueNow()) {
            sendAck(c);
        } else if (ackTimer == null) {
            try {
                ackTimer = scheduler.schedule(() -> {
                    synchronized (lock) {
                        ackTimer = null;
                        if (current != null && session != null && session.ackPending()) {
                            sendAck(current);
                        }
                    }
                }, options.ackDelay().toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException ignored) {
                // Ending: the close sends the pending ack.
            }
        }
    }

    private void sendAck(Connection c) {
        cancelAckTimer();
        c.send(FrameCodec.encode(new Frame.Ack(session.takeAck())));
    }

    private void cancelAckTimer() {
        if (ackTimer != null) {
            ackTimer.cancel(false);
            ackTimer = null;
        }
    }

    /** Records a server's retry-after (the later deadline wins) and its alternate endpoints (D10). */
    private void noteHints(long retryAfterMs, List<Frame.ExtensionItem> extensions) {
        if (retryAfterMs > 0) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(retryAfterMs);
            retryDeadlineNanos = hasRetryDeadline && retryDeadlineNanos - deadline > 0 ? retryDeadlineNanos : deadline;
            hasRetryDeadline = true;
        }
        List<Endpoint> alternates = new ArrayList<>();
        for (Frame.ExtensionItem item : extensions) {
            if (item.key() == Frame.ALTERNATE_ENDPOINT) {
                try {
                    alternates.add(Endpoint.parse(new String(item.value(), StandardCharsets.UTF_8)));
                } catch (IllegalArgumentException ignored) {
                    // A hint the client cannot parse is ignored (section 6).
                }
            }
        }
        selector.useAlternates(alternates);
    }

    /** Hands waiting messages to the open connection, in order, as far as the replay buffer has room. */
    private void pump() {
        Connection c = current;
        if (c == null) {
            return;
        }
        long peerMax = c.peerMaxFrameSize();
        while (!pending.isEmpty() && c.acceptsData()) {
            Pending item = pending.peekFirst();
            byte[] payload = item.payload();
            long limit = largestMessage(peerMax, session != null);
            if (payload.length > limit) {
                pending.pollFirst();
                pendingBytes -= payload.length;
                completeLater(item.future(), tooLarge(payload.length, limit));
                continue;
            }
            if (session != null) {
                if (!session.hasRoomFor(payload.length)) {
                    break;
                }
                long seq = session.append(payload);
                Long ack = null;
                if (session.ackPending()) {
                    if (payload.length + 16L <= peerMax) {
                        ack = session.takeAck();
                        cancelAckTimer();
                    } else {
                        // D3: the ack alone would push the frame over the limit; it goes in its own frame.
                        sendAck(c);
                    }
                }
                c.send(FrameCodec.encode(new Frame.Data(seq, ack, payload)));
            } else if (!c.send(FrameCodec.encode(new Frame.Data(null, null, payload)))) {
                break;
            }
            pending.pollFirst();
            pendingBytes -= payload.length;
            completeLater(item.future(), null);
        }
    }

    private void completeLater(CompletableFuture<Void> future, Throwable error) {
        try {
            events.execute(() -> {
                if (error == null) {
                    future.complete(null);
                } else {
                    future.completeExceptionally(error);
                }
            });
        } catch (RejectedExecutionException e) {
            if (error == null) {
                future.complete(null);
            } else {
                future.completeExceptionally(error);
            }
        }
    }

    private void finishLocked() {
        if (finished) {
            return;
        }
        finished = true;
        stopping = true;
        unacknowledgedAtEnd = unacknowledgedLocked();
        cancelAckTimer();
        for (Pending item : pending) {
            completeLater(item.future(), new TetherException("the client closed before the message was sent"));
        }
        pending.clear();
        pendingBytes = 0;
        lock.notifyAll();
    }

    private void announceEnd(TetherException error) {
        emit(l -> l.onClosed(error));
        try {
            events.execute(() -> {
                connected.completeExceptionally(error != null ? error : new TetherException("the client was closed"));
                if (error != null) {
                    completion.completeExceptionally(error);
                } else {
                    completion.complete(null);
                }
            });
        } catch (RejectedExecutionException e) {
            completion.complete(null);
        }
        scheduler.shutdownNow();
        events.shutdown();
    }

    private void emit(Consumer<TetherClientListener> event) {
        try {
            events.execute(() -> {
                try {
                    event.accept(listener);
                } catch (RuntimeException e) {
                    // A failing listener must not stop the client; the stack trace is the only trace it leaves.
                    e.printStackTrace();
                }
            });
        } catch (RejectedExecutionException ignored) {
            // The client has ended: no more events.
        }
    }
}
