// The seed's reconnect program (tests/interop/tutorial/java/ReconnectClient.java) on the Java client library.
// What the library adds: the tutorial program opens a new socket for every message and fails as soon as the server
// is unreachable. Here one client keeps a session across disconnects: it reconnects by itself with exponential
// backoff and full jitter, resumes the session and resends what the server had not acknowledged, so each message is
// echoed exactly once even when the server restarts in between. A server that lost the session (a restart keeps no
// sessions) is reported as session-lost with the unacknowledged messages, which this program sends again.
import dev.tether.client.DisconnectInfo;
import dev.tether.client.Endpoint;
import dev.tether.client.SessionLostInfo;
import dev.tether.client.TetherClient;
import dev.tether.client.TetherClientListener;
import dev.tether.client.TetherClientOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

public class ReconnectClient {
    public static void main(String[] args) throws Exception {
        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 7447;
        int count = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Set<String> echoed = ConcurrentHashMap.newKeySet();
        CountDownLatch all = new CountDownLatch(count);
        TetherClientOptions options = TetherClientOptions.builder().endpoint(host, port)
            .disconnectedSendTimeout(Duration.ofMinutes(2)).build();
        TetherClient[] self = new TetherClient[1];
        try (TetherClient client = new TetherClient(options, new TetherClientListener() {
            @Override
            public void onConnected(Endpoint endpoint) {
                System.out.println("connected to " + endpoint);
            }

            @Override
            public void onDisconnected(DisconnectInfo info) {
                System.out.println("disconnected: " + info.reason());
            }

            @Override
            public void onReconnecting(int attempt, long delayMillis, Endpoint endpoint, Throwable lastError) {
                System.out.println("reconnecting: attempt " + attempt + " in " + delayMillis + " ms");
            }

            @Override
            public void onResumed(String sessionId, long serverLastReceived, int resent) {
                System.out.println("resumed: " + resent + " message(s) resent");
            }

            @Override
            public void onSessionLost(SessionLostInfo info) {
                System.out.println("session lost (" + info.reason() + "): sending " + info.unacknowledgedSent()
                    + " unacknowledged message(s) again");
                for (byte[] message : info.unacknowledged()) {
                    self[0].send(message);
                }
            }

            @Override
            public void onMessage(byte[] message) {
                String text = new String(message, StandardCharsets.UTF_8);
                if (echoed.add(text)) {
                    System.out.println("Received: " + text);
                    all.countDown();
                }
            }
        })) {
            self[0] = client;
            client.connectAsync().get(60, TimeUnit.SECONDS);
            for (int i = 1; i <= count; i++) {
                client.send(("ping " + i).getBytes(StandardCharsets.UTF_8));
                Thread.sleep(500);
            }
            if (!all.await(60, TimeUnit.SECONDS)) {
                System.err.println("error: only " + echoed.size() + " of " + count + " echoes arrived");
                System.exit(1);
            }
            client.close(Duration.ofSeconds(10));
        }
        System.out.println("all " + count + " echoes matched");
    }
}
