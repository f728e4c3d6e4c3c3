package dev.tether.client.cli;

import dev.tether.client.DisconnectInfo;
import dev.tether.client.Endpoint;
import dev.tether.client.EndpointSelection;
import dev.tether.client.FrameCodec;
import dev.tether.client.Hex;
import dev.tether.client.SessionLostInfo;
import dev.tether.client.TetherClient;
import dev.tether.client.TetherClientListener;
import dev.tether.client.TetherClientOptions;
import dev.tether.client.TetherException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The equivalent of {@code tether connect --json}: stdin lines go out as messages, events come out as JSON lines.
 * Exit codes: 0 closed with everything acknowledged, 1 bad usage, 2 gave up or closed for good by the server,
 * 3 closed with messages unacknowledged.
 */
public final class ConnectProgram {
    private static final String USAGE = "usage: example [--json] [--client-id ID] [--token TOKEN] [--heartbeat DUR] "
        + "[--timeout DUR] [--no-session] [--max-attempts N] [--backoff-base DUR] [--backoff-max DUR] "
        + "[--stable-after DUR] [--connect-timeout DUR] [--endpoint-selection failover|round-robin] "
        + "[--eof-delay DUR] [--close-timeout DUR] [--tls] [--ca PATH] [--insecure] HOST:PORT [HOST:PORT ...]";

    private final JsonEventWriter json;
    private final PrintStream errors;
    private final Duration eofDelay;
    private final Duration closeTimeout;
    private final boolean tls;
    private final TetherClient client;
    /** Completes with "signal" (SIGINT/SIGTERM) or "ended" (the client stopped by itself). */
    private final CompletableFuture<String> stop = new CompletableFuture<>();
    private final CompletableFuture<Void> eof = new CompletableFuture<>();
    private volatile TetherException failure;

    private ConnectProgram(TetherClientOptions options, Duration eofDelay, Duration closeTimeout, PrintStream out,
            PrintStream errors) {
        this.json = new JsonEventWriter(out);
        this.errors = errors;
        this.eofDelay = eofDelay;
        this.closeTimeout = closeTimeout;
        this.tls = options.tls();
        this.client = new TetherClient(options, new Events());
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false,
            StandardCharsets.UTF_8);
        ConnectProgram program;
        try {
            program = parse(args, out, System.err);
        } catch (IllegalArgumentException e) {
            System.err.println("example: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.exit(program.run());
    }

    static ConnectProgram parse(String[] args, PrintStream out, PrintStream errors) {
        TetherClientOptions.Builder b = TetherClientOptions.builder();
        Duration eofDelay = Duration.ZERO;
        Duration closeTimeout = Duration.ofSeconds(10);
        int endpoints = 0;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--json":
                    break;
                case "--client-id":
                    b.clientId(value(args, ++i, a));
                    break;
                case "--token":
                    b.token(value(args, ++i, a));
                    break;
                case "--heartbeat":
                    b.heartbeatInterval(Durations.parse(value(args, ++i, a)));
                    break;
                case "--timeout":
                    b.heartbeatTimeout(Durations.parse(value(args, ++i, a)));
                    break;
                case "--no-session":
                    b.sessions(false);
                    break;
                case "--max-attempts":
                    b.maxAttempts(positiveInt(value(args, ++i, a), a));
                    break;
                case "--backoff-base":
                    b.backoffBase(Durations.parse(value(args, ++i, a)));
                    break;
                case "--backoff-max":
                    b.backoffMax(Durations.parse(value(args, ++i, a)));
                    break;
                case "--stable-after":
                    b.stableAfter(Durations.parse(value(args, ++i, a)));
                    break;
                case "--connect-timeout":
                    b.connectTimeout(Durations.parse(value(args, ++i, a)));
                    break;
                case "--endpoint-selection": {
                    String mode = value(args, ++i, a);
                    if (mode.equals("failover")) {
                        b.endpointSelection(EndpointSelection.FAILOVER);
                    } else if (mode.equals("round-robin")) {
                        b.endpointSelection(EndpointSelection.ROUND_ROBIN);
                    } else {
                        throw new IllegalArgumentException("--endpoint-selection must be failover or round-robin, not \""
                            + mode + "\"");
                    }
                    break;
                }
                case "--eof-delay":
                    eofDelay = Durations.parse(value(args, ++i, a));
                    break;
                case "--close-timeout":
                    closeTimeout = Durations.parse(value(args, ++i, a));
                    break;
                case "--tls":
                    b.tls(true);
                    break;
                case "--ca": {
                    Path ca = Path.of(value(args, ++i, a));
                    if (!Files.isReadable(ca)) {
                        throw new IllegalArgumentException("--ca: cannot read " + ca);
                    }
                    b.caFile(ca);
                    break;
                }
                case "--insecure":
                    b.insecure(true);
                    break;
                default:
                    if (a.startsWith("-")) {
                        throw new IllegalArgumentException("unknown option " + a + "; " + USAGE);
                    }
                    b.endpoint(Endpoint.parse(a).toString());
                    endpoints++;
            }
        }
        if (endpoints == 0) {
            throw new IllegalArgumentException("no endpoint given; " + USAGE);
        }
        return new ConnectProgram(b.build(), eofDelay, closeTimeout, out, errors);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static int positiveInt(String text, String option) {
        try {
            int n = Integer.parseInt(text);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // Reported below.
        }
        throw new IllegalArgumentException(option + " must be a whole number of at least 1, not \"" + text + "\"");
    }

    int run() {
        installSignalHandlers();
        CompletableFuture<Void> connected = client.connectAsync();
        CompletableFuture.anyOf(connected, stop).handle((r, e) -> null).join();
        if (stop.isDone() || connected.isCompletedExceptionally()) {
            return finish(stop.getNow("ended"));
        }
        Thread reader = new Thread(this::readStdin, "stdin");
        reader.setDaemon(true);
        reader.start();
        CompletableFuture.anyOf(eof, stop).join();
        if (stop.isDone()) {
            return finish(stop.join());
        }
        if (!eofDelay.isZero()) {
            try {
                // Replies still arrive and are printed meanwhile; a signal or the client's end cuts the wait short.
                return finish(stop.get(eofDelay.toMillis(), TimeUnit.MILLISECONDS));
            } catch (TimeoutException | InterruptedException | ExecutionException e) {
                return finish("eof");
            }
        }
        return finish("eof");
    }

    private int finish(String why) {
        Duration wait = why.equals("eof") ? closeTimeout : Duration.ZERO;
        int unacknowledged = client.close(wait);
        TetherException failed = failure;
        if (failed != null) {
            String reason;
            if (failed instanceof TetherClient.DisconnectedException d) {
                reason = d.disconnect().reason();
            } else if (failed.closeCode() != null) {
                reason = "handshake-rejected";
            } else {
                reason = "gave-up";
            }
            String message = explain(failed.getMessage());
            json.write("error", "message", message);
            json.write("closed", "reason", reason, "unacknowledged", unacknowledged);
            errors.println("example: " + message);
            return 2;
        }
        if (unacknowledged > 0) {
            String message = unacknowledged + " line(s) sent but never acknowledged by the server";
            json.write("error", "message", message);
            json.write("closed", "reason", "closed", "unacknowledged", unacknowledged);
            errors.println("example: " + message);
            return 3;
        }
        json.write("closed", "reason", "closed", "unacknowledged", 0);
        return 0;
    }

    /** A plain client that a TLS listener hangs up on only hears "closed ... during the handshake": give a hint. */
    private String explain(String message) {
        String hungUp = "closed the connection during the handshake";
        return tls ? message : message.replace(hungUp, hungUp + " (is it a TLS listener? try --tls)");
    }

    private void readStdin() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null && !stop.isDone()) {
                CompletableFuture<Void> sent = client.send(line.getBytes(StandardCharsets.UTF_8));
                try {
                    // Waiting gives backpressure: while disconnected, lines stay in stdin rather than pile up.
                    sent.join();
                } catch (CompletionException e) {
                    if (client.completion().isDone()) {
                        return;
                    }
                    json.write("error", "message", e.getCause().getMessage());
                }
            }
            eof.complete(null);
        } catch (IOException e) {
            json.write("error", "message", "reading stdin failed: " + e.getMessage());
            eof.complete(null);
        }
    }

    /**
     * SIGINT and SIGTERM close gracefully and still exit with the program's own code: a shutdown hook cannot choose
     * the exit code, and the JDK has no public signal API, so this uses {@code sun.misc.Signal} (module
     * jdk.unsupported, present in every JDK).
     */
    private void installSignalHandlers() {
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> stop.complete("signal"));
            } catch (IllegalArgumentException ignored) {
                // The signal is not available on this platform.
            }
        }
    }

    /** Turns the client's events into JSON lines. */
    private final class Events implements TetherClientListener {
        @Override
        public void onConnected(Endpoint endpoint) {
            json.write("connected", "endpoint", endpoint.toString());
        }

        @Override
        public void onDisconnected(DisconnectInfo info) {
            json.write("disconnected", "reason", info.reason(), "code", info.code(), "description", info.description());
        }

        @Override
        public void onReconnecting(int attempt, long delayMillis, Endpoint endpoint, Throwable lastError) {
            json.write("reconnecting", "attempt", attempt, "delayMs", delayMillis, "endpoint", endpoint.toString(),
                "lastError", lastError == null ? JsonEventWriter.Omit.FIELD : lastError.getMessage());
        }

        @Override
        public void onResumed(String sessionId, long serverLastReceived, int resent) {
            json.write("resumed", "sessionId", sessionId, "serverLastReceived", serverLastReceived, "resent", resent);
        }

        @Override
        public void onSessionLost(SessionLostInfo info) {
            json.write("session-lost", "sessionId", info.sessionId(), "reason", info.reason(), "unacknowledgedSent",
                info.unacknowledgedSent(), "serverReportedLost", info.serverReportedLost(), "description",
                info.description());
        }

        @Override
        public void onRoundTripTime(double millis) {
            json.write("rtt", "rttMs", millis);
        }

        @Override
        public void onMessage(byte[] message) {
            String text = new String(message, StandardCharsets.UTF_8);
            json.write("message", "data", text, "hex",
                FrameCodec.isUtf8(message) ? JsonEventWriter.Omit.FIELD : Hex.encode(message));
        }

        @Override
        public void onClosed(TetherException error) {
            failure = error;
            stop.complete("ended");
        }
    }
}
