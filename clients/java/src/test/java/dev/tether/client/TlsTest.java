package dev.tether.client;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * TLS against a loopback server whose certificate (made with the JDK's keytool) names only 127.0.0.1: trusted through
 * a CA PEM file, refused without it, refused under another name, and accepted by the insecure option.
 */
public final class TlsTest {
    private static final String PASSWORD = "changeit";
    private static Path directory;

    /** The keystore and its certificate as PEM, made once per run. */
    private static synchronized Path certificates() throws IOException, InterruptedException {
        if (directory == null) {
            Path dir = Files.createTempDirectory("tether-java-tls-");
            // Removed when the tests end: deleteOnExit runs in reverse order, so the files go before their directory.
            dir.toFile().deleteOnExit();
            dir.resolve("server.p12").toFile().deleteOnExit();
            dir.resolve("ca.pem").toFile().deleteOnExit();
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            run(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=tether-test", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                dir.resolve("server.p12").toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
            run(keytool, "-exportcert", "-rfc", "-alias", "server", "-keystore", dir.resolve("server.p12").toString(),
                "-storepass", PASSWORD, "-file", dir.resolve("ca.pem").toString());
            directory = dir;
        }
        return directory;
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }

    private static FakeServer tlsServer() throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(certificates().resolve("server.p12"))) {
            store.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        return new FakeServer(context.getServerSocketFactory().createServerSocket());
    }

    /** The server side of one connection: the handshake, then echo one message. */
    private static CompletableFuture<Void> serveOneEcho(FakeServer server) {
        return CompletableFuture.runAsync(() -> {
            try {
                FakeServer.Peer peer = server.accept();
                peer.send(FakeServer.welcome(false, false, null, 0, 0, 0, 10_000, 25_000, 1 << 20));
                Frame.Data d = (Frame.Data) peer.read();
                peer.send(new Frame.Data(null, null, d.payload()));
                Check.isTrue(peer.read() instanceof Frame.Close, "the client ends with CLOSE");
                peer.socket.close();
            } catch (IOException | ProtocolException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static void echoes(TetherClientOptions options) throws Exception {
        CompletableFuture<byte[]> echo = new CompletableFuture<>();
        try (TetherClient client = new TetherClient(options, TetherClientListener.onMessage(echo::complete))) {
            client.connectAsync().get(20, TimeUnit.SECONDS);
            client.send("over tls".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
            Check.equal("over tls", new String(echo.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8), "echo");
            client.close(Duration.ofSeconds(2));
        }
    }

    private static String refusal(TetherClientOptions options) throws Exception {
        try (TetherClient client = new TetherClient(options)) {
            ExecutionException e = Check.fails(ExecutionException.class,
                () -> client.connectAsync().get(20, TimeUnit.SECONDS));
            return e.getCause().getMessage();
        }
    }

    public void testTrustsTheServerThroughACaFile() throws Exception {
        try (FakeServer server = tlsServer()) {
            CompletableFuture<Void> served = serveOneEcho(server);
            echoes(TetherClientOptions.builder().endpoint(server.endpoint()).sessions(false)
                .caFile(certificates().resolve("ca.pem")).build());
            served.get(10, TimeUnit.SECONDS);
        }
    }

    public void testRefusesACertificateNoTrustedCaSigned() throws Exception {
        try (FakeServer server = tlsServer()) {
            CompletableFuture.runAsync(() -> {
                try {
                    server.accept();
                } catch (IOException | ProtocolException ignored) {
                    // The client gives up during the TLS handshake: no HELLO ever arrives.
                }
            });
            String message = refusal(TetherClientOptions.builder().endpoint(server.endpoint()).tls(true).maxAttempts(1)
                .build());
            Check.isTrue(message.contains("not signed by a trusted CA"), message);
        }
    }

    public void testRefusesACertificateForAnotherName() throws Exception {
        try (FakeServer server = tlsServer()) {
            CompletableFuture.runAsync(() -> {
                try {
                    server.accept();
                } catch (IOException | ProtocolException ignored) {
                    // As above: the handshake fails first.
                }
            });
            String message = refusal(TetherClientOptions.builder().endpoint("localhost", server.port()).maxAttempts(1)
                .caFile(certificates().resolve("ca.pem")).build());
            Check.isTrue(message.contains("TLS handshake") && message.contains("localhost"), message);
        }
    }

    public void testInsecureAcceptsAnyCertificate() throws Exception {
        try (FakeServer server = tlsServer()) {
            CompletableFuture<Void> served = serveOneEcho(server);
            echoes(TetherClientOptions.builder().endpoint(server.endpoint()).sessions(false).insecure(true).build());
            served.get(10, TimeUnit.SECONDS);
        }
    }

    public void testAnUnreadableCaFileIsAClearError() throws Exception {
        String message = refusal(TetherClientOptions.builder().endpoint("127.0.0.1", 1)
            .caFile(Path.of("/nonexistent/ca.pem")).build());
        Check.isTrue(message.contains("cannot read the CA file /nonexistent/ca.pem"), message);
    }
}
