// The Tether C++ client: one long-lived connection to a Tether server, kept up across failures.
//
// A Client owns one I/O thread. It connects at once, reconnects with backoff and full jitter, detects a dead server
// with heartbeats, and (unless disabled) keeps a reliable session so that messages survive reconnects exactly once and
// in order. Every handler runs on the I/O thread: keep handlers short and never call close() from one.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tether/endpoints.hpp"
#include "tether/protocol.hpp"

namespace tether {

/// An error the application made or must hear of: a bad option, a message too large, sending after close.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ReconnectOptions {
    bool enabled = true;
    std::chrono::milliseconds base_delay{500};
    std::chrono::milliseconds max_delay{5000};
    /// A connection open this long resets the attempt count.
    std::chrono::milliseconds stable_after{30000};
    /// Attempts in total, the first included, before giving up; 0 = unlimited.
    int max_attempts = 0;
};

struct SessionOptions {
    bool enabled = true;
    /// Bound on unacknowledged bytes (replay buffer plus messages waiting to go out; without a session, the waiting
    /// ones alone); send() blocks while it is reached.
    std::size_t max_unacknowledged_bytes = 4 * 1024 * 1024;
    std::size_t ack_after_messages = 32;
    std::size_t ack_after_bytes = 64 * 1024;
    std::chrono::milliseconds ack_delay{200};
};

struct TlsOptions {
    bool enabled = false;
    /// PEM file of the CA certificate(s) to trust instead of the system's.
    std::string ca_file;
    /// Accept any certificate (development only: no protection against anyone in the path).
    bool insecure = false;
    /// Name checked against the certificate (and sent as SNI); default: the endpoint's host.
    std::string server_name;
};

struct ClientOptions {
    /// "host:port" strings, e.g. "127.0.0.1:7447", "[::1]:7447", "example.com:7447".
    std::vector<std::string> endpoints{"127.0.0.1:7447"};
    EndpointSelection endpoint_selection = EndpointSelection::failover;
    std::string client_id;
    /// Opaque credentials sent in HELLO.
    std::string token;
    /// Heartbeat proposals; zero lets the server decide.
    std::chrono::milliseconds heartbeat_interval{0};
    std::chrono::milliseconds heartbeat_timeout{0};
    std::uint32_t max_frame_size = 1048576;
    /// One attempt (TCP connect, TLS, HELLO -> WELCOME) must finish within this.
    std::chrono::milliseconds connect_timeout{10000};
    /// After our CLOSE, how long to wait for the server to close its side.
    std::chrono::milliseconds linger{2000};
    ReconnectOptions reconnect;
    SessionOptions session;
    TlsOptions tls;
};

struct ConnectedEvent {
    std::string endpoint;
    std::string server_id;
    bool session = false;
    std::chrono::milliseconds heartbeat_interval{0};
    std::chrono::milliseconds heartbeat_timeout{0};
};

struct DisconnectedEvent {
    /// connection-lost, heartbeat-timeout, handshake-timeout, handshake-rejected, protocol-error, closed-by-peer,
    /// going-away, slow-consumer, replaced, rate-limited.
    std::string reason;
    /// The close code of the CLOSE that ended the connection (received, or sent for a violation we detected).
    std::optional<std::uint16_t> code;
    std::string description;
    bool will_reconnect = true;
};

struct ReconnectingEvent {
    int attempt = 1;  // 1 for the first retry
    std::chrono::milliseconds delay{0};
    std::string endpoint;
    /// Why the previous attempt failed before the connection opened; empty after a disconnect.
    std::string last_error;
};

struct ResumedEvent {
    std::string session_id;  // 32 lowercase hex digits
    std::uint64_t server_last_received = 0;
    std::size_t resent = 0;
};

struct SessionLostEvent {
    std::string session_id;
    /// unknown, expired, overflow, gap, not-granted.
    std::string reason;
    /// Messages the old session sent that the server never acknowledged; they are not resent (decision D9).
    std::vector<Bytes> unacknowledged;
    /// Server -> client messages the server knows were lost; empty when it does not know.
    std::optional<std::uint32_t> server_reported_lost;
    std::string description;
};

struct ClosedEvent {
    /// "closed" after close(), "gave-up", "handshake-rejected", or the reason of the disconnect that ended it.
    std::string reason;
    std::string description;
    /// Set when the client stopped because of a failure (gave up, rejected, closed for good by the server).
    std::string error;
    std::size_t unacknowledged = 0;
};

struct Handlers {
    std::function<void(const ConnectedEvent&)> connected;
    std::function<void(const DisconnectedEvent&)> disconnected;
    std::function<void(const ReconnectingEvent&)> reconnecting;
    std::function<void(const ResumedEvent&)> resumed;
    std::function<void(const SessionLostEvent&)> session_lost;
    std::function<void(std::chrono::duration<double, std::milli>)> rtt;
    std::function<void(const Bytes&)> message;
    /// A problem that does not stop the client, e.g. a queued message the new server's limit no longer allows.
    std::function<void(const std::string&)> error;
    /// The client has stopped for good; raised exactly once.
    std::function<void(const ClosedEvent&)> closed;
};

enum class ClientState { connecting, connected, reconnecting, closing, closed };

class Client {
public:
    /// Validates the options (throws Error naming what is wrong) and starts connecting at once.
    Client(ClientOptions options, Handlers handlers);
    /// Closes without waiting for acknowledgements.
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Queues a message. In a session it is delivered exactly once, in order, across reconnects; messages sent while
    /// disconnected go out after the reconnect. Blocks while the unacknowledged bound is reached. Throws Error when
    /// the message exceeds the server's limit (peer maxFrameSize, minus 8 in a session) or the client is closed.
    void send(std::string_view message);
    void send(const Bytes& message);

    /// Closes gracefully: waits up to `ack_timeout` for the server to acknowledge every message sent, sends the
    /// pending ack and CLOSE 1000, and returns how many messages stayed unacknowledged. Idempotent.
    std::size_t close(std::chrono::milliseconds ack_timeout = std::chrono::seconds(10));

    /// Blocks until the client has stopped (closed event raised), or the timeout passes; true when stopped.
    bool wait_closed(std::chrono::milliseconds timeout);

    ClientState state() const;
    /// Messages sent (or waiting to be) that the server has not acknowledged.
    std::size_t unacknowledged() const;

    class Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace tether
