// The seed's heartbeat program (tests/interop/tutorial/java/HeartbeatClient.java) on the Java client library.
// What the library adds: the tutorial program must send a message of its own every second to keep an idle-timeout
// server from dropping it, and it would wait forever on a server that went silent. Here the library keeps the
// connection alive with PING/PONG while the application sends nothing, measures the round-trip time, and declares
// a silent server dead after the heartbeat timeout (CLOSE 1006, then it would reconnect with backoff; this program
// stops at that point to show the detection).
import dev.tether.client.DisconnectInfo;
import dev.tether.client.TetherClient;
import dev.tether.client.TetherClientListener;
import dev.tether.client.TetherClientOptions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

public class HeartbeatClient {
    public static void main(String[] args) throws Exception {
        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 7447;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        long start = System.nanoTime();
        CompletableFuture<DisconnectInfo> lost = new CompletableFuture<>();
        TetherClientOptions options = TetherClientOptions.builder().endpoint(host, port)
            .heartbeatInterval(Duration.ofSeconds(1)).heartbeatTimeout(Duration.ofSeconds(3)).sessions(false).build();
        try (TetherClient client = new TetherClient(options, new TetherClientListener() {
            @Override
            public void onRoundTripTime(double millis) {
                System.out.printf(java.util.Locale.ROOT, "rtt %.3f ms%n", millis);
            }

            @Override
            public void onDisconnected(DisconnectInfo info) {
                lost.complete(info);
            }
        })) {
            client.connectAsync().get(30, TimeUnit.SECONDS);
            System.out.println("connected to " + host + ":" + port + "; sending nothing");
            try {
                DisconnectInfo info = lost.get(seconds, TimeUnit.SECONDS);
                System.out.printf(java.util.Locale.ROOT, "disconnected: %s (%s) after %.1f s%n", info.reason(),
                    info.description(), (System.nanoTime() - start) / 1e9);
                System.exit(1);
            } catch (java.util.concurrent.TimeoutException e) {
                System.out.println("still connected after " + seconds + " s");
            }
        }
    }
}
