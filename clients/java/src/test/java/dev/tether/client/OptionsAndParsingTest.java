package dev.tether.client;

import dev.tether.client.cli.Durations;
import java.time.Duration;

/** Endpoints, durations, close codes and option checks. */
public final class OptionsAndParsingTest {
    public void testEndpointsParseIpv4NamesAndBracketedIpv6() {
        Check.equal(new Endpoint("127.0.0.1", 7447), Endpoint.parse("127.0.0.1:7447"), "ipv4");
        Check.equal(new Endpoint("localhost", 1), Endpoint.parse("localhost:1"), "name");
        Endpoint v6 = Endpoint.parse("[::1]:7447");
        Check.equal("::1", v6.host(), "ipv6 host");
        Check.equal("[::1]:7447", v6.toString(), "ipv6 display");
        for (String bad : new String[] {"7447", "host:", "host:0", "host:65536", "::1:7447", "[::1]7447", ":80"}) {
            Check.fails(IllegalArgumentException.class, () -> Endpoint.parse(bad));
        }
    }

    public void testDurations() {
        Check.equal(Duration.ofMillis(250), Durations.parse("250ms"), "ms");
        Check.equal(Duration.ofSeconds(30), Durations.parse("30s"), "s");
        Check.equal(Duration.ofMillis(1500), Durations.parse("1.5s"), "fraction");
        Check.equal(Duration.ofMinutes(2), Durations.parse("2m"), "m");
        Check.equal(Duration.ofHours(1), Durations.parse("1h"), "h");
        Check.equal(Duration.ofSeconds(3), Durations.parse("3"), "bare seconds");
        for (String bad : new String[] {"", "s", "-1s", "abc", "1x", "1..5s"}) {
            Check.fails(IllegalArgumentException.class, () -> Durations.parse(bad));
        }
    }

    public void testCloseCodeTable() {
        int[] noReconnect = {1000, 1003, 1007, 1010, 1014, 4500, 4999};
        int[] reconnect = {1001, 1002, 1004, 1005, 1006, 1008, 1009, 1011, 1012, 1013, 4000, 4499, 1999, 3000};
        for (int code : noReconnect) {
            Check.isTrue(!CloseCodes.allowsReconnect(code), code + " must not reconnect");
        }
        for (int code : reconnect) {
            Check.isTrue(CloseCodes.allowsReconnect(code), code + " must reconnect");
        }
        Check.equal("connection-lost", CloseCodes.reasonName(null), "no CLOSE");
        Check.equal("heartbeat-timeout", CloseCodes.reasonName(1006), "1006");
        Check.equal("handshake-timeout", CloseCodes.reasonName(1005), "1005");
        Check.equal("handshake-rejected", CloseCodes.reasonName(1013), "1013");
        Check.equal("protocol-error", CloseCodes.reasonName(1004), "1004");
        Check.equal("going-away", CloseCodes.reasonName(1001), "1001");
        Check.equal("slow-consumer", CloseCodes.reasonName(1009), "1009");
        Check.equal("replaced", CloseCodes.reasonName(1010), "1010");
        Check.equal("rate-limited", CloseCodes.reasonName(1012), "1012");
        Check.equal("closed-by-peer", CloseCodes.reasonName(4321), "application code");
    }

    public void testOptionsNameWhatIsWrong() {
        IllegalArgumentException e = Check.fails(IllegalArgumentException.class,
            () -> TetherClientOptions.builder().build());
        Check.isTrue(e.getMessage().contains("endpoint"), e.getMessage());
        e = Check.fails(IllegalArgumentException.class,
            () -> TetherClientOptions.builder().endpoint("h", 1).maxFrameSize(1000).build());
        Check.isTrue(e.getMessage().contains("maxFrameSize"), e.getMessage());
        e = Check.fails(IllegalArgumentException.class,
            () -> TetherClientOptions.builder().endpoint("h", 1).clientId("x".repeat(257)).build());
        Check.isTrue(e.getMessage().contains("clientId"), e.getMessage());
        TetherClientOptions o = TetherClientOptions.builder().endpoint("h:1").build();
        Check.equal(Duration.ofMillis(500), o.backoffBase(), "default backoff base");
        Check.equal(Duration.ofSeconds(5), o.backoffMax(), "default backoff cap");
        Check.equal(Duration.ofSeconds(30), o.stableAfter(), "default stable-after");
        Check.equal(Duration.ofSeconds(10), o.connectTimeout(), "default connect timeout (D11)");
    }
}
