package dev.tether.client;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a {@link TetherClient} is configured with; build one with {@link #builder()}. Defaults follow the
 * protocol's recommendations: backoff 500 ms to 5 s, stable after 30 s, connect timeout 10 s, acks after 32
 * messages / 64 KiB / 200 ms.
 */
public final class TetherClientOptions {
    private final List<Endpoint> endpoints;
    private final EndpointSelection endpointSelection;
    private final String clientId;
    private final byte[] token;
    private final Duration heartbeatInterval;
    private final Duration heartbeatTimeout;
    private final boolean reconnect;
    private final Duration backoffBase;
    private final Duration backoffMax;
    private final Integer maxAttempts;
    private final Duration stableAfter;
    private final Duration connectTimeout;
    private final Duration disconnectedSendTimeout;
    private final int maxPendingOutboundBytes;
    private final int maxFrameSize;
    private final Duration closeLinger;
    private final boolean sessions;
    private final int maxUnacknowledgedBytes;
    private final int ackAfterMessages;
    private final long ackAfterBytes;
    private final Duration ackDelay;
    private final boolean tls;
    private final Path caFile;
    private final boolean insecure;
    private final String serverName;

    private TetherClientOptions(Builder b) {
        endpoints = List.copyOf(b.endpoints);
        endpointSelection = b.endpointSelection;
        clientId = b.clientId;
        token = b.token.clone();
        heartbeatInterval = b.heartbeatInterval;
        heartbeatTimeout = b.heartbeatTimeout;
        reconnect = b.reconnect;
        backoffBase = b.backoffBase;
        backoffMax = b.backoffMax;
        maxAttempts = b.maxAttempts;
        stableAfter = b.stableAfter;
        connectTimeout = b.connectTimeout;
        disconnectedSendTimeout = b.disconnectedSendTimeout;
        maxPendingOutboundBytes = b.maxPendingOutboundBytes;
        maxFrameSize = b.maxFrameSize;
        closeLinger = b.closeLinger;
        sessions = b.sessions;
        maxUnacknowledgedBytes = b.maxUnacknowledgedBytes;
        ackAfterMessages = b.ackAfterMessages;
        ackAfterBytes = b.ackAfterBytes;
        ackDelay = b.ackDelay;
        tls = b.tls;
        caFile = b.caFile;
        insecure = b.insecure;
        serverName = b.serverName;
    }

    public static Builder builder() {
        return new Builder();
    }

    public List<Endpoint> endpoints() {
        return endpoints;
    }

    public EndpointSelection endpointSelection() {
        return endpointSelection;
    }

    public String clientId() {
        return clientId;
    }

    public byte[] token() {
        return token.clone();
    }

    public Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    public Duration heartbeatTimeout() {
        return heartbeatTimeout;
    }

    public boolean reconnect() {
        return reconnect;
    }

    public Duration backoffBase() {
        return backoffBase;
    }

    public Duration backoffMax() {
        return backoffMax;
    }

    public Integer maxAttempts() {
        return maxAttempts;
    }

    public Duration stableAfter() {
        return stableAfter;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration disconnectedSendTimeout() {
        return disconnectedSendTimeout;
    }

    public int maxPendingOutboundBytes() {
        return maxPendingOutboundBytes;
    }

    public int maxFrameSize() {
        return maxFrameSize;
    }

    public Duration closeLinger() {
        return closeLinger;
    }

    public boolean sessions() {
        return sessions;
    }

    public int maxUnacknowledgedBytes() {
        return maxUnacknowledgedBytes;
    }

    public int ackAfterMessages() {
        return ackAfterMessages;
    }

    public long ackAfterBytes() {
        return ackAfterBytes;
    }

    public Duration ackDelay() {
        return ackDelay;
    }

    public boolean tls() {
        return tls;
    }

    public Path caFile() {
        return caFile;
    }

    public boolean insecure() {
        return insecure;
    }

    public String serverName() {
        return serverName;
    }

    /** Builds {@link TetherClientOptions}; {@link #build()} checks every value and names the one that is wrong. */
    public static final class Builder {
        private final List<Endpoint> endpoints = new ArrayList<>();
        private EndpointSelection endpointSelection = EndpointSelection.FAILOVER;
        private String clientId = "";
        private byte[] token = new byte[0];
        private Duration heartbeatInterval;
        private Duration heartbeatTimeout;
        private boolean reconnect = true;
        private Duration backoffBase = Duration.ofMillis(500);
        private Duration backoffMax = Duration.ofSeconds(5);
        private Integer maxAttempts;
        private Duration stableAfter = Duration.ofSeconds(30);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration disconnectedSendTimeout = Duration.ofSeconds(30);
        private int maxPendingOutboundBytes = 4 * 1024 * 1024;
        private int maxFrameSize = 1024 * 1024;
        private Duration closeLinger = Duration.ofSeconds(2);
        private boolean sessions = true;
        private int maxUnacknowledgedBytes = 4 * 1024 * 1024;
        private int ackAfterMessages = 32;
        private long ackAfterBytes = 64 * 1024;
        private Duration ackDelay = Duration.ofMillis(200);
        private boolean tls;
        private Path caFile;
        private boolean insecure;
        private String serverName;

        private Builder() {
        }

        /** Adds an endpoint; several give failover (or round-robin). */
        public Builder endpoint(String host, int port) {
            endpoints.add(new Endpoint(host, port));
            return this;
        }

        /** Adds an endpoint written {@code host:port} or {@code [v6]:port}. */
        public Builder endpoint(String hostAndPort) {
            endpoints.add(Endpoint.parse(hostAndPort));
            return this;
        }

        public Builder endpointSelection(EndpointSelection selection) {
            endpointSelection = selection;
            return this;
        }

        /** The client identity sent in HELLO (at most 256 UTF-8 bytes); empty is anonymous. */
        public Builder clientId(String id) {
            clientId = id == null ? "" : id;
            return this;
        }

        /** The opaque credentials sent in HELLO (at most 4096 bytes). */
        public Builder token(byte[] value) {
            token = value == null ? new byte[0] : value.clone();
            return this;
        }

        /** The credentials as text, sent as UTF-8. */
        public Builder token(String value) {
            return token(value == null ? null : value.getBytes(StandardCharsets.UTF_8));
        }

        /** The heartbeat interval proposed to the server (null: let the server decide). */
        public Builder heartbeatInterval(Duration interval) {
            heartbeatInterval = interval;
            return this;
        }

        /** The heartbeat timeout proposed to the server (null: let the server decide). */
        public Builder heartbeatTimeout(Duration timeout) {
            heartbeatTimeout = timeout;
            return this;
        }

        /** Whether the client reconnects after losing a connection (default true). */
        public Builder reconnect(boolean enabled) {
            reconnect = enabled;
            return this;
        }

        public Builder backoffBase(Duration base) {
            backoffBase = base;
            return this;
        }

        public Builder backoffMax(Duration max) {
            backoffMax = max;
            return this;
        }

        /** Connection attempts in total, the first included, before the client gives up; null is unlimited. */
        public Builder maxAttempts(Integer attempts) {
            maxAttempts = attempts;
            return this;
        }

        /** How long a connection must stay open before the attempt counter starts over. */
        public Builder stableAfter(Duration duration) {
            stableAfter = duration;
            return this;
        }

        /** The deadline of one attempt: TCP connect, TLS and HELLO to WELCOME (D11). */
        public Builder connectTimeout(Duration timeout) {
            connectTimeout = timeout;
            return this;
        }

        /**
         * How long a message sent while disconnected without a session (before the first connection, or with sessions
         * off) may wait for a connection before its send fails; in a session it waits for the resume.
         */
        public Builder disconnectedSendTimeout(Duration timeout) {
            disconnectedSendTimeout = timeout;
            return this;
        }

        /** The bound on messages accepted but not yet handed to a connection; a send beyond it fails. */
        public Builder maxPendingOutboundBytes(int bytes) {
            maxPendingOutboundBytes = bytes;
            return this;
        }

        /** The largest frame body this client accepts, announced in HELLO (at least 1024). */
        public Builder maxFrameSize(int bytes) {
            maxFrameSize = bytes;
            return this;
        }

        /** How long a graceful close reads and discards input after its CLOSE before it closes the socket. */
        public Builder closeLinger(Duration linger) {
            closeLinger = linger;
            return this;
        }

        /** Whether to ask for a reliable session (default true). */
        public Builder sessions(boolean enabled) {
            sessions = enabled;
            return this;
        }

        /** The replay buffer bound: sends wait (stay pending) while this many payload bytes are unacknowledged. */
        public Builder maxUnacknowledgedBytes(int bytes) {
            maxUnacknowledgedBytes = bytes;
            return this;
        }

        public Builder ackAfterMessages(int count) {
            ackAfterMessages = count;
            return this;
        }

        public Builder ackAfterBytes(long bytes) {
            ackAfterBytes = bytes;
            return this;
        }

        public Builder ackDelay(Duration delay) {
            ackDelay = delay;
            return this;
        }

        /** Connect with TLS; the server's certificate is checked against the host name (or {@link #serverName}). */
        public Builder tls(boolean enabled) {
            tls = enabled;
            return this;
        }

        /** Trust the certificates in this PEM file instead of the platform's (implies TLS). */
        public Builder caFile(Path pem) {
            caFile = pem;
            tls = tls || pem != null;
            return this;
        }

        /** Development only: accept any server certificate and any name (implies TLS). */
        public Builder insecure(boolean enabled) {
            insecure = enabled;
            tls = tls || enabled;
            return this;
        }

        /** The name the server certificate must carry and the SNI sent, instead of the endpoint's host. */
        public Builder serverName(String name) {
            serverName = name;
            return this;
        }

        public TetherClientOptions build() {
            if (endpoints.isEmpty()) {
                throw new IllegalArgumentException("at least one endpoint is required");
            }
            if (clientId.getBytes(StandardCharsets.UTF_8).length > 256) {
                throw new IllegalArgumentException("clientId is longer than 256 UTF-8 bytes");
            }
            if (token.length > 4096) {
                throw new IllegalArgumentException("token is longer than 4096 bytes");
            }
            if (maxFrameSize < FrameCodec.MIN_MAX_FRAME_SIZE) {
                throw new IllegalArgumentException("maxFrameSize " + maxFrameSize + " is below 1024");
            }
            if (maxAttempts != null && maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1");
            }
            positive("connectTimeout", connectTimeout);
            positive("ackDelay", ackDelay);
            notNegative("backoffBase", backoffBase);
            notNegative("backoffMax", backoffMax);
            notNegative("stableAfter", stableAfter);
            notNegative("disconnectedSendTimeout", disconnectedSendTimeout);
            notNegative("closeLinger", closeLinger);
            if (heartbeatInterval != null) {
                positive("heartbeatInterval", heartbeatInterval);
            }
            if (heartbeatTimeout != null) {
                positive("heartbeatTimeout", heartbeatTimeout);
            }
            if (ackAfterMessages < 1 || ackAfterBytes < 1 || maxUnacknowledgedBytes < 1 || maxPendingOutboundBytes < 1) {
                throw new IllegalArgumentException("ack thresholds and buffer bounds must be positive");
            }
            return new TetherClientOptions(this);
        }

        private static void positive(String name, Duration value) {
            if (value == null || value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException(name + " must be positive");
            }
        }

        private static void notNegative(String name, Duration value) {
            if (value == null || value.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative");
            }
        }
    }
}
