package dev.tether.client;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The client against a scripted server on loopback: handshake, sessions, resume, heartbeat, GOAWAY, errors. */
public final class ClientLoopbackTest {
    private static final long I = 10_000;
    private static final long T = 25_000;

    /** Records events as short strings, in order. */
    private static final class Recorder implements TetherClientListener {
        final LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();

        @Override
        public void onConnected(Endpoint endpoint) {
            events.add("connected");
        }

        @Override
        public void onDisconnected(DisconnectInfo info) {
            events.add("disconnected " + info.reason() + " " + info.code());
        }

        @Override
        public void onReconnecting(int attempt, long delayMillis, Endpoint endpoint, Throwable lastError) {
            events.add("reconnecting " + attempt + (lastError != null ? " error" : ""));
        }

        @Override
        public void onResumed(String sessionId, long serverLastReceived, int resent) {
            events.add("resumed " + sessionId + " " + serverLastReceived + " " + resent);
        }

        @Override
        public void onSessionLost(SessionLostInfo info) {
            events.add("lost " + info.sessionId() + " " + info.reason() + " " + info.unacknowledgedSent() + " "
                + info.serverReportedLost());
        }

        @Override
        public void onMessage(byte[] message) {
            events.add("message " + new String(message, StandardCharsets.UTF_8));
        }

        @Override
        public void onRoundTripTime(double millis) {
            events.add("rtt");
        }

        @Override
        public void onClosed(TetherException error) {
            events.add("closed" + (error != null ? " " + error.getMessage() : ""));
        }

        /** The next event that is not an rtt; fails after 10 s. */
        String next() throws InterruptedException {
            while (true) {
                String e = events.poll(10, TimeUnit.SECONDS);
                Check.isTrue(e != null, "no event within 10 s");
                if (!e.equals("rtt")) {
                    return e;
                }
            }
        }
    }

    private static TetherClientOptions.Builder options(FakeServer server) {
        return TetherClientOptions.builder().endpoint(server.endpoint()).backoffBase(Duration.ofMillis(10))
            .backoffMax(Duration.ofMillis(50)).connectTimeout(Duration.ofSeconds(5)).closeLinger(Duration.ofMillis(500));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Frame.Data data(Frame f) {
        Check.isTrue(f instanceof Frame.Data, "expected DATA, got " + f);
        return (Frame.Data) f;
    }

    public void testSessionEchoAndGracefulCloseSendsTheAckThenClose1000() throws Exception {
        Recorder r = new Recorder();
        try (FakeServer server = new FakeServer();
                TetherClient client = new TetherClient(options(server).clientId("sensor-1").token("secret").build(), r)) {
            CompletableFuture<Void> connected = client.connectAsync();
            FakeServer.Peer peer = server.accept();
            Check.isTrue(peer.hello.session() && !peer.hello.resume(), "HELLO asks for a new session");
            Check.equal("sensor-1", peer.hello.clientId(), "client id");
            Check.equal("secret", new String(peer.hello.token(), StandardCharsets.UTF_8), "token");
            peer.send(FakeServer.welcome(true, false, FakeServer.id(0xab), 0, 0, 0, I, T, 1 << 20));
            connected.get(5, TimeUnit.SECONDS);
            Check.equal("connected", r.next(), "event");
            Check.equal("ab".repeat(16), client.sessionId(), "session id");
            client.send(utf8("hello")).get(5, TimeUnit.SECONDS);
            Frame.Data d = data(peer.read());
            Check.equal(1L, d.seq(), "seq");
            Check.equal("hello", new String(d.payload(), StandardCharsets.UTF_8), "payload");
            peer.send(new Frame.Data(1L, 1L, utf8("hello")));
            Check.equal("message hello", r.next(), "echo");
            Check.equal(0, client.close(Duration.ofSeconds(2)), "unacknowledged after close");
            Check.equal(new Frame.Ack(1), peer.read(), "pending ack before CLOSE");
            Frame.Close close = (Frame.Close) peer.read();
            Check.equal(CloseCodes.NORMAL, close.code(), "close code");
            Check.equal("closed", r.next(), "closed event");
        }
    }

    public void testResumeRetransmitsWhatTheServerLacksAndDropsDuplicates() throws Exception {
        Recorder r = new Recorder();
        try (FakeServer server = new FakeServer(); TetherClient client = new TetherClient(options(server).build(), r)) {
            client.connectAsync();
            FakeServer.Peer first = server.accept();
            first.send(FakeServer.welcome(true, false, FakeServer.id(1), 0, 0, 0, I, T, 1 << 20));
            Check.equal("connected", r.next(), "connected");
            for (String m : new String[] {"m1", "m2", "m3"}) {
                client.send(utf8(m)).get(5, TimeUnit.SECONDS);
            }
            for (int seq = 1; seq <= 3; seq++) {
                Check.equal((long) seq, data(first.read()).seq(), "first connection seq");
            }
            first.send(new Frame.Data(1L, null, utf8("x")));
            Check.equal("message x", r.next(), "x");
            first.drop();
            Check.equal("disconnected connection-lost null", r.next(), "disconnect");
            Check.equal("reconnecting 1", r.next(), "reconnecting");
            FakeServer.Peer second = server.accept();
            Check.isTrue(second.hello.resume(), "HELLO asks to resume");
            Check.equal(FakeServer.id(1), second.hello.sessionId(), "session id");
            Check.equal(1L, second.hello.lastReceivedSeq(), "client's lastReceivedSeq");
            second.send(FakeServer.welcome(true, true, FakeServer.id(1), 1, 0, 0, I, T, 1 << 20));
            Check.equal("resumed " + "01".repeat(16) + " 1 2", r.next(), "resumed");
            Check.equal("connected", r.next(), "connected again");
            Frame.Data two = data(second.read());
            Frame.Data three = data(second.read());
            Check.equal(2L, two.seq(), "resent seq 2");
            Check.equal("m2", new String(two.payload(), StandardCharsets.UTF_8), "resent payload");
            Check.equal(3L, three.seq(), "resent seq 3");
            second.send(new Frame.Data(1L, 3L, utf8("x")));
            second.send(new Frame.Data(2L, null, utf8("y")));
            Check.equal("message y", r.next(), "only the new message is delivered");
            client.send(utf8("m4")).get(5, TimeUnit.SECONDS);
            Frame.Data four = data(second.readSkippingPings());
            Check.equal(4L, four.seq(), "numbering continues");
            Check.equal(2L, four.ack(), "the ack rides on the DATA");
            Check.equal(0, client.unacknowledgedMessages() - 1, "m4 is the only unacknowledged message");
        }
    }

    public void testSessionResetReportsTheLostMessagesAndDoesNotResendThem() throws Exception {
        Recorder r = new Recorder();
        try (FakeServer server = new FakeServer(); TetherClient client = new TetherClient(options(server).build(), r)) {
            client.connectAsync();
            FakeServer.Peer first = server.accept();
            first.send(FakeServer.welcome(true, false, FakeServer.id(1), 0, 0, 0, I, T, 1 << 20));
            Check.equal("connected", r.next(), "connected");
            client.send(utf8("old")).get(5, TimeUnit.SECONDS);
            data(first.read());
            first.drop();
            FakeServer.Peer second = server.accept();
            second.send(FakeServer.welcome(true, false, FakeServer.id(2), 0, 2, 3, I, T, 1 << 20));
            Check.equal("disconnected connection-lost null", r.next(), "disconnect");
            Check.equal("reconnecting 1", r.next(), "reconnecting");
            Check.equal("lost " + "01".repeat(16) + " expired 1 3", r.next(), "session-lost (D9)");
            Check.equal("connected", r.next(), "connected");
            client.send(utf8("new")).get(5, TimeUnit.SECONDS);
            Frame.Data d = data(second.read());
            Check.equal(1L, d.seq(), "the new session numbers from 1");
            Check.equal("new", new String(d.payload(), StandardCharsets.UTF_8), "the old message is not resent");
        }
    }

    public void testHeartbeatPingsWhenIdleAndDeclaresASilentServerDead() throws Exception {
        Recorder r = new Recorder();
        try (FakeServer server = new FakeServer(); TetherClient client = new TetherClient(options(server).build(), r)) {
            client.connectAsync();
            FakeServer.Peer peer = server.accept();
            long started = System.nanoTime();
            peer.send(FakeServer.welcome(false, false, null, 0, 0, 0, 100, 400, 1 << 20));
            Frame ping = peer.read();
            Check.isTrue(ping instanceof Frame.Ping, "an idle client pings, got " + ping);
            peer.send(new Frame.Pong(((Frame.Ping) ping).value()));
            Frame f;
            do {
                f = peer.read();
            } while (f instanceof Frame.Ping);
            long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            Check.equal(CloseCodes.HEARTBEAT_TIMEOUT, ((Frame.Close) f).code(), "close code");
            Check.isTrue(elapsed >= 400, "declared dead after " + elapsed + " ms, before T");
            Check.equal("connected", r.next(), "connected");
            Check.equal("rtt", r.events.poll(5, TimeUnit.SECONDS), "rtt from the PONG");
            Check.equal("disconnected heartbeat-timeout null", r.next(), "disconnect");
            Check.equal("reconnecting 1", r.next(), "reconnects");
            server.accept();
        }
    }

    public void testMalformedCloseIsNotAnsweredAndTheClientReconnects() throws Exception {
        Recorder r = new Recorder();
        try (FakeServer server = new FakeServer();
                TetherClient client = new TetherClient(options(server).sessions(false).build(), r)) {
            client.connectAsync();
            FakeServer.Peer peer = server.accept();
            peer.send(FakeServer.welcome(false, false, null, 0, 0, 0, I, T, 1 << 20));
            Check.equal("connected", r.next(), "connected");
            peer.sendRaw("0800" + "00000004" + "03e80000");
            Check.equal(null, peer.read(), "no frame in reply, just the end of the connection (D1)");
            Check.equal("disconnected protocol-error null", r.next(), "disconnect");
            Check.equal("reconnecting 1", r.next(), "reconnects like after 1002");
            server.accept();
        }
    }

    public void testProtocolViolationIsAnsweredWith1002() throws Exception {
        Recorder r = new Recorder();
        try (FakeServer server = new FakeServer();
                TetherClient client = new TetherClient(options(server).sessions(false).build(), r)) {
            client.connectAsync();
            FakeServer.Peer peer = server.accept();
            peer.send(FakeServer.welcome(false, false, null, 0, 0, 0, I, T, 1 << 20));
            peer.sendRaw("0904" + "00000000");
            Check.equal(CloseCodes.PROTOCOL_ERROR, ((Frame.Close) peer.read()).code(), "reserved type");
            Check.equal("connected", r.next(), "connected");
            Check.equal("disconnected protocol-error null", r.next(), "disconnect");
            Check.equal("reconnecting 1", r.next(), "reconnects (D5)");
            FakeServer.Peer again = server.accept();
            again.send(FakeServer.welcome(false, false, null, 0, 0, 0, I, T, 1 << 20));
            again.sendRaw("0300" + "00100001");
            Check.equal(CloseCodes.FRAME_TOO_LARGE, ((Frame.Close) again.read()).code(), "over the limit");
        }
    }

    public void testGoAwaySendsTheAckThenClose1000AndReconnectsToTheAlternateAfterRetryAfter() throws Exception {
        Recorder r = new Recorder();
        try (FakeServer server = new FakeServer(); FakeServer other = new FakeServer();
                TetherClient client = new TetherClient(options(server).build(), r)) {
            client.connectAsync();
            FakeServer.Peer peer = server.accept();
            peer.send(FakeServer.welcome(true, false, FakeServer.id(3), 0, 0, 0, I, T, 1 << 20));
            Check.equal("connected", r.next(), "connected");
            peer.send(new Frame.Data(1L, null, utf8("last")));
            Check.equal("message last", r.next(), "message");
            peer.send(new Frame.GoAway(300, 10_000, "restarting",
                List.of(new Frame.ExtensionItem(Frame.ALTERNATE_ENDPOINT, utf8(other.endpoint())))));
            long goAway = System.nanoTime();
            Check.equal(new Frame.Ack(1), peer.read(), "pending ack first (D6)");
            Check.equal(CloseCodes.NORMAL, ((Frame.Close) peer.read()).code(), "then CLOSE 1000");
            Check.equal("disconnected going-away 1001", r.next(), "disconnect");
            FakeServer.Peer moved = other.accept();
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - goAway);
            Check.isTrue(waited >= 290, "reconnected after " + waited + " ms, before retryAfterMs");
            Check.isTrue(moved.hello.resume(), "resumes at the alternate");
        }
    }

    public void testLargestMessageIsPeerMaxMinus8AndAnAckThatWouldNotFitGoesAlone() throws Exception {
        Recorder r = new Recorder();
        try (FakeServer server = new FakeServer();
                TetherClient client = new TetherClient(options(server).ackDelay(Duration.ofSeconds(30)).build(), r)) {
            client.connectAsync();
            FakeServer.Peer peer = server.accept();
            peer.send(FakeServer.welcome(true, false, FakeServer.id(4), 0, 0, 0, I, T, 1024));
            Check.equal("connected", r.next(), "connected");
            peer.send(new Frame.Data(1L, null, utf8("in")));
            Check.equal("message in", r.next(), "message");
            client.send(new byte[1016]).get(5, TimeUnit.SECONDS);
            Check.equal(new Frame.Ack(1), peer.read(), "the ack goes in its own frame (D3)");
            Frame.Data d = data(peer.read());
            Check.equal(null, d.ack(), "no piggy-backed ack");
            Check.equal(1016, d.payload().length, "a message of exactly max - 8");
            ExecutionException e = Check.fails(ExecutionException.class,
                () -> client.send(new byte[1017]).get(5, TimeUnit.SECONDS));
            Check.isTrue(e.getCause() instanceof IllegalArgumentException, "refused locally: " + e.getCause());
            Check.isTrue(e.getCause().getMessage().contains("1016"), e.getCause().getMessage());
        }
    }

    public void testResumedWelcomeWithAnotherSessionIdIsRefusedAndTheSessionKept() throws Exception {
        Recorder r = new Recorder();
        try (FakeServer server = new FakeServer(); TetherClient client = new TetherClient(options(server).build(), r)) {
            client.connectAsync();
            FakeServer.Peer first = server.accept();
            first.send(FakeServer.welcome(true, false, FakeServer.id(5), 0, 0, 0, I, T, 1 << 20));
            Check.equal("connected", r.next(), "connected");
            first.drop();
            FakeServer.Peer second = server.accept();
            second.send(FakeServer.welcome(true, true, FakeServer.id(6), 0, 0, 0, I, T, 1 << 20));
            Check.equal(CloseCodes.PROTOCOL_ERROR, ((Frame.Close) second.read()).code(), "D7");
            FakeServer.Peer third = server.accept();
            Check.equal(FakeServer.id(5), third.hello.sessionId(), "asks to resume the same session again");
        }
    }

    public void testRefusalThatCannotHealStopsTheClient() throws Exception {
        Recorder r = new Recorder();
        try (FakeServer server = new FakeServer(); TetherClient client = new TetherClient(options(server).build(), r)) {
            CompletableFuture<Void> connected = client.connectAsync();
            FakeServer.Peer peer = server.accept();
            peer.send(new Frame.Close(CloseCodes.AUTH_FAILED, 0, "bad token", List.of()));
            ExecutionException e = Check.fails(ExecutionException.class, () -> connected.get(5, TimeUnit.SECONDS));
            TetherException cause = (TetherException) e.getCause();
            Check.equal(CloseCodes.AUTH_FAILED, cause.closeCode(), "close code");
            Check.isTrue(cause.getMessage().contains("AUTH_FAILED") && cause.getMessage().contains("bad token"),
                cause.getMessage());
            Check.isTrue(r.next().startsWith("closed "), "closed for good");
        }
    }

    public void testGivesUpAfterMaxAttempts() throws Exception {
        Recorder r = new Recorder();
        int port;
        try (FakeServer closed = new FakeServer()) {
            port = closed.port();
        }
        TetherClientOptions o = TetherClientOptions.builder().endpoint("127.0.0.1", port)
            .backoffBase(Duration.ofMillis(10)).maxAttempts(2).build();
        try (TetherClient client = new TetherClient(o, r)) {
            ExecutionException e = Check.fails(ExecutionException.class,
                () -> client.connectAsync().get(10, TimeUnit.SECONDS));
            Check.isTrue(e.getCause().getMessage().contains("gave up after 2 attempts"), e.getCause().getMessage());
            Check.equal("reconnecting 1 error", r.next(), "one retry, with the error");
            Check.isTrue(r.next().startsWith("closed "), "closed");
        }
    }

    public void testMessagesSentWhileDisconnectedGoOutAfterTheResumeExactlyOnce() throws Exception {
        Recorder r = new Recorder();
        try (FakeServer server = new FakeServer();
                TetherClient client = new TetherClient(options(server).backoffBase(Duration.ofMillis(300))
                    .backoffMax(Duration.ofMillis(300)).build(), r)) {
            client.connectAsync();
            FakeServer.Peer first = server.accept();
            first.send(FakeServer.welcome(true, false, FakeServer.id(7), 0, 0, 0, I, T, 1 << 20));
            Check.equal("connected", r.next(), "connected");
            first.drop();
            Check.equal("disconnected connection-lost null", r.next(), "disconnect");
            CompletableFuture<Void> a = client.send(utf8("while-away-1"));
            CompletableFuture<Void> b = client.send(utf8("while-away-2"));
            FakeServer.Peer second = server.accept();
            second.send(FakeServer.welcome(true, true, FakeServer.id(7), 0, 0, 0, I, T, 1 << 20));
            a.get(5, TimeUnit.SECONDS);
            b.get(5, TimeUnit.SECONDS);
            Check.equal("while-away-1", new String(data(second.read()).payload(), StandardCharsets.UTF_8), "first");
            Frame.Data d = data(second.read());
            Check.equal(2L, d.seq(), "second seq");
            second.send(new Frame.Ack(2));
            Check.equal(0, client.close(Duration.ofSeconds(2)), "everything acknowledged");
        }
    }

    public void testWithoutASessionAMessageWaitsForAConnectionOnlyUpToTheSendTimeout() throws Exception {
        int port;
        try (FakeServer closed = new FakeServer()) {
            port = closed.port();
        }
        TetherClientOptions o = TetherClientOptions.builder().endpoint("127.0.0.1", port).sessions(false)
            .backoffBase(Duration.ofMillis(10)).backoffMax(Duration.ofMillis(20))
            .disconnectedSendTimeout(Duration.ofMillis(300)).build();
        try (TetherClient client = new TetherClient(o)) {
            client.connectAsync();
            ExecutionException e = Check.fails(ExecutionException.class,
                () -> client.send(utf8("nobody listens")).get(5, TimeUnit.SECONDS));
            Check.isTrue(e.getCause().getMessage().contains("not connected for 300 ms"), e.getCause().getMessage());
        }
    }

    public void testInASessionAMessageSentWhileDisconnectedWaitsBeyondTheSendTimeout() throws Exception {
        Recorder r = new Recorder();
        try (FakeServer server = new FakeServer();
                TetherClient client = new TetherClient(options(server).disconnectedSendTimeout(Duration.ofMillis(100))
                    .backoffBase(Duration.ofMillis(600)).backoffMax(Duration.ofMillis(600)).build(), r)) {
            client.connectAsync();
            FakeServer.Peer first = server.accept();
            first.send(FakeServer.welcome(true, false, FakeServer.id(8), 0, 0, 0, I, T, 1 << 20));
            Check.equal("connected", r.next(), "connected");
            first.drop();
            Check.equal("disconnected connection-lost null", r.next(), "disconnect");
            CompletableFuture<Void> late = client.send(utf8("patient"));
            FakeServer.Peer second = server.accept();
            // The handshake takes three times the send timeout: the message must still be waiting.
            Thread.sleep(300);
            Check.isTrue(!late.isDone(), "still waiting for the resume");
            second.send(FakeServer.welcome(true, true, FakeServer.id(8), 0, 0, 0, I, T, 1 << 20));
            late.get(5, TimeUnit.SECONDS);
            Check.equal("patient", new String(data(second.read()).payload(), StandardCharsets.UTF_8), "sent after resume");
        }
    }
}
