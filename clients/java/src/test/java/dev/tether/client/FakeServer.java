package dev.tether.client;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/** A scripted server on a loopback port: the test accepts connections and plays frames by hand. */
final class FakeServer implements AutoCloseable {
    private final ServerSocket listener;
    private final List<Peer> peers = new ArrayList<>();

    FakeServer() throws IOException {
        this(new ServerSocket());
    }

    /** A server on {@code unbound} (e.g. an SSLServerSocket), bound here to a free loopback port. */
    FakeServer(ServerSocket unbound) throws IOException {
        listener = unbound;
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        listener.setSoTimeout(10_000);
    }

    int port() {
        return listener.getLocalPort();
    }

    String endpoint() {
        return "127.0.0.1:" + port();
    }

    /** Accepts the next connection and reads its HELLO. */
    Peer accept() throws IOException, ProtocolException {
        Socket socket = listener.accept();
        socket.setSoTimeout(10_000);
        Peer peer = new Peer(socket);
        synchronized (peers) {
            peers.add(peer);
        }
        peer.hello = (Frame.Hello) peer.read();
        return peer;
    }

    @Override
    public void close() throws IOException {
        listener.close();
        synchronized (peers) {
            for (Peer p : peers) {
                p.socket.close();
            }
        }
    }

    static Frame.Welcome welcome(boolean session, boolean resumed, byte[] id, long lastReceived, int reset, long lost,
            long interval, long timeout, long maxFrame) {
        return new Frame.Welcome(session, resumed, 1, interval, timeout, maxFrame, 7, session ? id : new byte[16],
            lastReceived, reset, lost, "fake", List.of());
    }

    static byte[] id(int b) {
        byte[] id = new byte[16];
        java.util.Arrays.fill(id, (byte) b);
        return id;
    }

    /** One accepted connection. */
    static final class Peer {
        final Socket socket;
        final FrameReader reader;
        final OutputStream out;
        Frame.Hello hello;

        Peer(Socket socket) throws IOException {
            this.socket = socket;
            this.reader = new FrameReader(new BufferedInputStream(socket.getInputStream()));
            this.out = socket.getOutputStream();
        }

        Frame read() throws IOException, ProtocolException {
            return reader.read(16 * 1024 * 1024, false);
        }

        /** Reads frames until one that is not a PING (pings are answered) and returns it. */
        Frame readSkippingPings() throws IOException, ProtocolException {
            while (true) {
                Frame f = read();
                if (f instanceof Frame.Ping p) {
                    send(new Frame.Pong(p.value()));
                    continue;
                }
                return f;
            }
        }

        void send(Frame frame) throws IOException {
            out.write(FrameCodec.encode(frame));
            out.flush();
        }

        void sendRaw(String hex) throws IOException {
            out.write(Hex.decode(hex));
            out.flush();
        }

        void drop() throws IOException {
            socket.setSoLinger(true, 0);
            socket.close();
        }
    }
}
