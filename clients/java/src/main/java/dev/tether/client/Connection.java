package dev.tether.client;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One TCP (or TLS) connection after a successful handshake. Frames go out through a queue drained by a writer
 * thread, so neither the reader nor a timer ever blocks on a full socket; the owner reads frames with
 * {@link #reader}. The heartbeat (section 8) runs on the shared scheduler.
 */
final class Connection {
    private static final byte[] STOP = new byte[0];

    final Endpoint endpoint;
    final Frame.Welcome welcome;
    final FrameReader reader;
    final long openedAtNanos;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final ScheduledExecutorService scheduler;
    private final long lingerMillis;
    private final LinkedBlockingDeque<byte[]> queue = new LinkedBlockingDeque<>();
    private final Map<Long, Boolean> outstandingPings = new ConcurrentHashMap<>();
    private final Thread writer;
    private volatile long lastSentNanos;
    private volatile long lastReceivedNanos;
    private volatile boolean draining;
    private volatile boolean hardClose;
    private boolean closeQueued;
    private DisconnectInfo ended;
    private ScheduledFuture<?> heartbeat;

    /** A CLOSE the server answered the HELLO with. */
    static final class RefusedException extends IOException {
        private static final long serialVersionUID = 1L;
        final transient Frame.Close close;

        RefusedException(Endpoint endpoint, Frame.Close close) {
            super("the server at " + endpoint + " closed the connection during the handshake with "
                + CloseCodes.describe(close.code()) + (close.reason().isEmpty() ? "" : ": " + close.reason()));
            this.close = close;
        }
    }

    private Connection(Endpoint endpoint, Socket socket, InputStream in, OutputStream out, Frame.Welcome welcome,
            ScheduledExecutorService scheduler, long lingerMillis) {
        this.endpoint = endpoint;
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.reader = new FrameReader(in);
        this.welcome = welcome;
        this.scheduler = scheduler;
        this.lingerMillis = lingerMillis;
        this.openedAtNanos = System.nanoTime();
        this.lastSentNanos = openedAtNanos;
        this.lastReceivedNanos = openedAtNanos;
        this.writer = new Thread(this::writeLoop, "tether-writer " + endpoint);
        writer.setDaemon(true);
        writer.start();
    }

    /**
     * One attempt (D11): TCP connect, TLS, HELLO, and the WELCOME, all under the connect timeout. {@code opening}
     * hears of each socket as it is created, so that a close can interrupt the attempt.
     */
    static Connection open(Endpoint endpoint, Frame.Hello hello, TetherClientOptions options, TlsSockets tls,
            ScheduledExecutorService scheduler, Consumer<Socket> opening) throws IOException, ProtocolException {
        long timeoutMillis = options.connectTimeout().toMillis();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        Socket socket = connectTcp(endpoint, deadline, timeoutMillis, opening);
        try {
            if (tls != null) {
                socket.setSoTimeout(remaining(deadline, endpoint, timeoutMillis));
                socket = tls.wrap(socket, endpoint);
                opening.accept(socket);
            }
            socket.setSoTimeout(remaining(deadline, endpoint, timeoutMillis));
            InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
            out.write(FrameCodec.encode(hello));
            out.flush();
            Frame first;
            try {
                first = new FrameReader(in).read(FrameCodec.HANDSHAKE_MAX_FRAME_SIZE, true);
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException("no WELCOME from " + endpoint + " within " + timeoutMillis + " ms");
            } catch (ProtocolException e) {
                if (e.frameType() != Frame.CLOSE) {
                    sendCloseQuietly(out, e.closeCode(), e.getMessage());
                }
                throw e;
            }
            if (first == null) {
                throw new EOFException("the server at " + endpoint + " closed the connection during the handshake");
            }
            if (first instanceof Frame.Close close) {
                throw new RefusedException(endpoint, close);
            }
            Frame.Welcome welcome = (Frame.Welcome) first;
            if (welcome.version() != 1) {
                ProtocolException e = new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                    "WELCOME chose version " + welcome.version() + ", outside the client's 1-1");
                sendCloseQuietly(out, e.closeCode(), e.getMessage());
                throw e;
            }
            socket.setSoTimeout(0);
            return new Connection(endpoint, socket, in, out, welcome, scheduler, options.closeLinger().toMillis());
        } catch (IOException | ProtocolException | RuntimeException e) {
            closeQuietly(socket);
            throw e;
        }
    }

    private static Socket connectTcp(Endpoint endpoint, long deadline, long timeoutMillis, Consumer<Socket> opening)
            throws IOException {
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(endpoint.host());
        } catch (UnknownHostException e) {
            throw new UnknownHostException("cannot resolve host \"" + endpoint.host() + "\"");
        }
        IOException last = null;
        for (InetAddress address : addresses) {
            Socket socket = new Socket();
            opening.accept(socket);
            try {
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress(address, endpoint.port()),
                    remaining(deadline, endpoint, timeoutMillis));
                return socket;
            } catch (SocketTimeoutException e) {
                closeQuietly(socket);
                throw new SocketTimeoutException("connect to " + endpoint + " timed out after " + timeoutMillis + " ms");
            } catch (IOException e) {
                closeQuietly(socket);
                last = e;
            }
        }
        String why = last == null ? "no address" : last.getMessage();
        throw new ConnectException("connect to " + endpoint + " failed: " + why);
    }

    private static int remaining(long deadline, Endpoint endpoint, long timeoutMillis) throws SocketTimeoutException {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
            throw new SocketTimeoutException("connecting to " + endpoint + " took longer than " + timeoutMillis + " ms");
        }
        return (int) Math.min(left, Integer.MAX_VALUE);
    }

    private static void sendCloseQuietly(OutputStream out, int code, String reason) {
        try {
            out.write(FrameCodec.encode(new Frame.Close(code, 0, truncate(reason), List.of())));
            out.flush();
        } catch (IOException ignored) {
            // Best effort: the connection is being abandoned anyway.
        }
    }

    private static String truncate(String reason) {
        return reason.length() > 200 ? reason.substring(0, 200) : reason;
    }

    static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Nothing left to do with a socket that fails to close.
        }
    }

    long peerMaxFrameSize() {
        return welcome.maxFrameSize();
    }

    void received() {
        lastReceivedNanos = System.nanoTime();
    }

    /** Whether new DATA may be handed to this connection (not after a GOAWAY or once a CLOSE is queued). */
    synchronized boolean acceptsData() {
        return !closeQueued && !draining;
    }

    void markDraining() {
        draining = true;
    }

    /** Queues a frame; false once the connection has sent or received CLOSE. */
    synchronized boolean send(byte[] frame) {
        if (closeQueued) {
            return false;
        }
        queue.offerLast(frame);
        return true;
    }

    /** Queues a frame ahead of the others (PONG: the peer measures its round trip with it). */
    synchronized boolean sendFirst(byte[] frame) {
        if (closeQueued) {
            return false;
        }
        queue.offerFirst(frame);
        return true;
    }

    /**
     * Sends CLOSE as the last frame and ends the connection. Graceful: after the frames already queued, then
     * half-close and read until the peer closes (bounded by the linger). Hard (dead peer, D4): ahead of everything,
     * then close at once.
     */
    void close(int code, String reason, DisconnectInfo info, boolean hard) {
        synchronized (this) {
            setEnded(info);
            if (closeQueued) {
                return;
            }
            closeQueued = true;
            hardClose = hard;
            byte[] frame = FrameCodec.encode(new Frame.Close(code, 0, truncate(reason), List.of()));
            if (hard) {
                queue.offerFirst(frame);
            } else {
                queue.offerLast(frame);
            }
        }
        cancelHeartbeat();
        scheduleClose(hard ? 100 : lingerMillis);
    }

    /** Ends without a frame: a malformed CLOSE (D1) or a local shutdown. */
    void abort(DisconnectInfo info) {
        synchronized (this) {
            setEnded(info);
            closeQueued = true;
            queue.offerFirst(STOP);
        }
        cancelHeartbeat();
        closeQuietly(socket);
    }

    /** The server's CLOSE: send nothing more, close. */
    void closeReceived(DisconnectInfo info) {
        abort(info);
    }

    synchronized void setEnded(DisconnectInfo info) {
        if (ended == null) {
            ended = info;
        }
    }

    synchronized DisconnectInfo ended() {
        return ended;
    }

    synchronized boolean closeQueued() {
        return closeQueued;
    }

    /** Reads and discards whatever the peer still sends after our CLOSE, until it closes or the linger ends. */
    void discardInput() {
        byte[] scratch = new byte[8192];
        try {
            while (in.read(scratch) >= 0) {
                // Discarded: after sending CLOSE a side only waits for the peer to close.
            }
        } catch (IOException ignored) {
            // The linger timer closed the socket, or the peer reset it.
        }
    }

    /** Stops everything; the reader has finished. */
    void shutdown() {
        synchronized (this) {
            closeQueued = true;
            queue.offerLast(STOP);
        }
        cancelHeartbeat();
        closeQuietly(socket);
    }

    void startHeartbeat() {
        long interval = welcome.heartbeatIntervalMs();
        long period = Math.max(5, Math.min(interval / 4, 250));
        synchronized (this) {
            if (!closeQueued) {
                heartbeat = scheduler.scheduleAtFixedRate(this::heartbeatTick, period, period, TimeUnit.MILLISECONDS);
            }
        }
    }

    private synchronized void cancelHeartbeat() {
        if (heartbeat != null) {
            heartbeat.cancel(false);
        }
    }

    private void heartbeatTick() {
        long now = System.nanoTime();
        long timeout = TimeUnit.MILLISECONDS.toNanos(welcome.heartbeatTimeoutMs());
        long interval = TimeUnit.MILLISECONDS.toNanos(welcome.heartbeatIntervalMs());
        if (now - lastReceivedNanos >= timeout) {
            close(CloseCodes.HEARTBEAT_TIMEOUT, "heartbeat timeout", new DisconnectInfo("heartbeat-timeout", null,
                "nothing received from the server for " + welcome.heartbeatTimeoutMs() + " ms"), true);
            return;
        }
        if (now - lastSentNanos >= interval && queue.isEmpty()) {
            if (outstandingPings.size() > 64) {
                outstandingPings.clear();
            }
            outstandingPings.put(now, Boolean.TRUE);
            send(FrameCodec.encode(new Frame.Ping(now)));
        }
    }

    /** The round-trip time in ms if the PONG answers one of our PINGs (its value is our send time), else null. */
    Double pongReceived(long value) {
        if (outstandingPings.remove(value) == null) {
            return null;
        }
        return (System.nanoTime() - value) / 1_000_000.0;
    }

    private void scheduleClose(long delayMillis) {
        try {
            scheduler.schedule(() -> closeQuietly(socket), delayMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            closeQuietly(socket);
        }
    }

    private void writeLoop() {
        try {
            while (true) {
                byte[] frame = queue.takeFirst();
                if (frame == STOP) {
                    return;
                }
                out.write(frame);
                lastSentNanos = System.nanoTime();
                if ((frame[0] & 0xFF) == Frame.CLOSE) {
                    out.flush();
                    if (hardClose) {
                        closeQuietly(socket);
                    } else {
                        try {
                            socket.shutdownOutput();
                        } catch (UnsupportedOperationException e) {
                            // Some TLS sockets cannot half-close; the linger timer closes the socket instead.
                        }
                    }
                    return;
                }
                if (queue.isEmpty()) {
                    out.flush();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // The reader notices the broken connection too and reports it; a write error needs no second report.
            closeQuietly(socket);
        }
    }
}
