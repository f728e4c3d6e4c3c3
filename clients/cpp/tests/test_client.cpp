// The client against a scripted fake server on 127.0.0.1:0: handshake, sessions, heartbeats and the error rules.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <future>
#include <mutex>

#include "test.hpp"
#include "tether/tether.hpp"

using namespace tether;
using namespace std::chrono;

namespace {

constexpr auto wait_limit = seconds(10);

/// One accepted connection, read and written with blocking calls bounded by a receive timeout.
class Peer {
public:
    explicit Peer(int fd) : fd_(fd) {
        timeval tv{10, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~Peer() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    Peer(Peer&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

    void send(const Frame& frame) { send_bytes(encode(frame)); }
    void send_hex(const std::string& hex) { send_bytes(from_hex(hex)); }
    void send_bytes(const Bytes& bytes) { REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size())); }

    Frame read_frame() {
        Bytes header = read_exact(header_size);
        auto h = parse_header(header.data());
        Bytes body = read_exact(h.length);
        return decode_body(h, body.data(), body.size());
    }

    template <typename T>
    T read() {
        Frame frame = read_frame();
        if (!std::holds_alternative<T>(frame)) {
            tether_test::fail("unexpected frame type " + std::to_string(type_of(frame)), __FILE__, __LINE__);
            throw tether_test::Abort{};
        }
        return std::get<T>(frame);
    }

    /// True when the client closed the connection without sending another byte.
    bool closed_silently() {
        std::uint8_t byte;
        ssize_t n = ::recv(fd_, &byte, 1, 0);
        return n == 0 || (n < 0 && errno == ECONNRESET);
    }

    void hang_up() {
        ::close(fd_);
        fd_ = -1;
    }

private:
    Bytes read_exact(std::size_t n) {
        Bytes out(n);
        std::size_t got = 0;
        while (got < n) {
            ssize_t r = ::recv(fd_, out.data() + got, n - got, 0);
            if (r <= 0) {
                tether_test::fail("connection ended or timed out while reading", __FILE__, __LINE__);
                throw tether_test::Abort{};
            }
            got += static_cast<std::size_t>(r);
        }
        return out;
    }
    int fd_;
};

class FakeServer {
public:
    FakeServer() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
        ::listen(fd_, 16);
        socklen_t length = sizeof address;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        timeval tv{10, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~FakeServer() { ::close(fd_); }
    std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

    Peer accept() {
        int fd = ::accept(fd_, nullptr, nullptr);
        if (fd < 0) {
            tether_test::fail("no connection from the client", __FILE__, __LINE__);
            throw tether_test::Abort{};
        }
        return Peer(fd);
    }

private:
    int fd_;
    int port_;
};

/// Events as short strings, e.g. "disconnected protocol-error 1002", waited for with a bound.
class Events {
public:
    Handlers handlers() {
        Handlers h;
        h.connected = [this](const ConnectedEvent& e) { add("connected " + e.endpoint); };
        h.disconnected = [this](const DisconnectedEvent& e) {
            add("disconnected " + e.reason + " " + (e.code ? std::to_string(*e.code) : "null"));
        };
        h.reconnecting = [this](const ReconnectingEvent& e) {
            std::lock_guard<std::mutex> lock(mutex_);
            last_delay_ = e.delay;
            events_.push_back("reconnecting");
            changed_.notify_all();
        };
        h.resumed = [this](const ResumedEvent& e) { add("resumed " + std::to_string(e.resent)); };
        h.session_lost = [this](const SessionLostEvent& e) {
            add("session-lost " + e.reason + " " + std::to_string(e.unacknowledged.size()) + " " +
                (e.server_reported_lost ? std::to_string(*e.server_reported_lost) : "null"));
        };
        h.message = [this](const Bytes& m) { add("message " + std::string(m.begin(), m.end())); };
        h.closed = [this](const ClosedEvent& e) { add("closed " + e.reason); };
        return h;
    }

    bool wait(const std::string& event) {
        std::unique_lock<std::mutex> lock(mutex_);
        bool found = changed_.wait_for(lock, wait_limit, [&] {
            return std::find(events_.begin(), events_.end(), event) != events_.end();
        });
        if (!found) {
            std::string all;
            for (const auto& e : events_) {
                all += "\n      " + e;
            }
            tether_test::fail("no event '" + event + "'; got:" + all, __FILE__, __LINE__);
        }
        return found;
    }

    milliseconds last_delay() {
        std::lock_guard<std::mutex> lock(mutex_);
        return last_delay_;
    }

private:
    void add(std::string event) {
        std::lock_guard<std::mutex> lock(mutex_);
        events_.push_back(std::move(event));
        changed_.notify_all();
    }
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::string> events_;
    milliseconds last_delay_{0};
};

ClientOptions options_for(const FakeServer& server, bool session = true) {
    ClientOptions o;
    o.endpoints = {server.endpoint()};
    o.session.enabled = session;
    o.reconnect.base_delay = milliseconds(10);
    o.reconnect.max_delay = milliseconds(50);
    o.connect_timeout = seconds(5);
    o.linger = milliseconds(500);
    return o;
}

WelcomeFrame welcome(bool session, std::uint8_t id = 7, std::uint32_t max = 1048576) {
    WelcomeFrame w;
    w.session = session;
    w.heartbeat_interval_ms = 30000;
    w.heartbeat_timeout_ms = 75000;
    w.max_frame_size = max;
    w.connection_id = 1;
    if (session) {
        w.session_id.fill(id);
    }
    w.server_id = "fake";
    return w;
}

DataFrame data(std::uint64_t seq, const std::string& text) {
    DataFrame d;
    d.seq = seq;
    d.payload.assign(text.begin(), text.end());
    return d;
}

std::string text_of(const DataFrame& d) { return std::string(d.payload.begin(), d.payload.end()); }

}  // namespace

TEST(client_sends_hello_then_exchanges_data_and_closes_gracefully) {
    FakeServer server;
    Events events;
    auto options = options_for(server);
    options.client_id = "dev-1";
    options.token = "secret";
    Client client(options, events.handlers());
    Peer peer = server.accept();
    auto hello = peer.read<HelloFrame>();
    CHECK(hello.session);
    CHECK(!hello.resume);
    CHECK_EQ(hello.client_id, std::string("dev-1"));
    CHECK_EQ(std::string(hello.token.begin(), hello.token.end()), std::string("secret"));
    peer.send(welcome(true));
    client.send("hi");
    auto sent = peer.read<DataFrame>();
    CHECK_EQ(sent.seq.value_or(0), 1u);
    CHECK_EQ(text_of(sent), std::string("hi"));
    auto reply = data(1, "hi back");
    reply.ack = 1;
    peer.send(reply);
    events.wait("message hi back");
    auto closing = std::async(std::launch::async, [&] { return client.close(seconds(2)); });
    // The pending ack goes before the CLOSE (section 10.4).
    auto ack = peer.read<AckFrame>();
    CHECK_EQ(ack.ack, 1u);
    auto close = peer.read<CloseFrame>();
    CHECK_EQ(close.code, close_code::normal);
    peer.hang_up();
    CHECK_EQ(closing.get(), 0u);
    events.wait("closed closed");
}

TEST(client_answers_ping_with_the_same_value) {
    FakeServer server;
    Events events;
    Client client(options_for(server, false), events.handlers());
    Peer peer = server.accept();
    peer.read<HelloFrame>();
    peer.send(welcome(false));
    peer.send(PingFrame{0xFFFFFFFFFFFFFFFFull});
    CHECK_EQ(peer.read<PongFrame>().value, 0xFFFFFFFFFFFFFFFFull);
}

TEST(malformed_close_gets_no_reply_and_counts_as_protocol_error) {
    FakeServer server;
    Events events;
    Client client(options_for(server, false), events.handlers());
    Peer peer = server.accept();
    peer.read<HelloFrame>();
    peer.send(welcome(false));
    events.wait("connected " + server.endpoint());
    peer.send_hex("08000000000703e80000000000");  // I41: CLOSE body too short
    CHECK(peer.closed_silently());
    events.wait("disconnected protocol-error null");
    Peer again = server.accept();  // D1: reconnects with backoff
    again.read<HelloFrame>();
}

TEST(oversized_frame_is_refused_from_its_header) {
    FakeServer server;
    Events events;
    auto options = options_for(server, false);
    options.max_frame_size = 4096;
    Client client(options, events.handlers());
    Peer peer = server.accept();
    peer.read<HelloFrame>();
    peer.send(welcome(false));
    peer.send_hex("030000001001");  // DATA announcing 4097 bytes; no body follows
    CHECK_EQ(peer.read<CloseFrame>().code, close_code::frame_too_large);
    events.wait("disconnected protocol-error 1004");
}

TEST(reserved_frame_type_closes_with_protocol_error) {
    FakeServer server;
    Events events;
    Client client(options_for(server, false), events.handlers());
    Peer peer = server.accept();
    peer.read<HelloFrame>();
    peer.send(welcome(false));
    peer.send_hex("090000000000");
    CHECK_EQ(peer.read<CloseFrame>().code, close_code::protocol_error);
    Peer again = server.accept();  // D5: our own 1002 is followed by a reconnect
    again.read<HelloFrame>();
}

TEST(data_seq_zero_in_a_session_is_a_protocol_error) {
    FakeServer server;
    Events events;
    Client client(options_for(server), events.handlers());
    Peer peer = server.accept();
    peer.read<HelloFrame>();
    peer.send(welcome(true));
    peer.send(data(0, "x"));
    CHECK_EQ(peer.read<CloseFrame>().code, close_code::protocol_error);
}

TEST(resume_resends_exactly_what_the_server_lacks) {
    FakeServer server;
    Events events;
    Client client(options_for(server), events.handlers());
    {
        Peer peer = server.accept();
        peer.read<HelloFrame>();
        peer.send(welcome(true, 9));
        client.send("a");
        client.send("b");
        client.send("c");
        for (std::uint64_t seq = 1; seq <= 3; ++seq) {
            CHECK_EQ(peer.read<DataFrame>().seq.value_or(0), seq);
        }
        peer.send(data(1, "from server"));
        events.wait("message from server");
        peer.hang_up();
    }
    Peer peer = server.accept();
    auto hello = peer.read<HelloFrame>();
    CHECK(hello.resume);
    CHECK_EQ(hello.session_id[0], 9);
    CHECK_EQ(hello.last_received_seq, 1u);
    auto resumed = welcome(true, 9);
    resumed.resumed = true;
    resumed.last_received_seq = 1;
    peer.send(resumed);
    auto b = peer.read<DataFrame>();
    CHECK_EQ(b.seq.value_or(0), 2u);
    CHECK_EQ(text_of(b), std::string("b"));
    auto c = peer.read<DataFrame>();
    CHECK_EQ(c.seq.value_or(0), 3u);
    events.wait("resumed 2");
    peer.send(data(1, "from server"));  // a duplicate: dropped
    peer.send(data(2, "next"));
    events.wait("message next");
    client.send("d");
    CHECK_EQ(peer.read<DataFrame>().seq.value_or(0), 4u);
}

TEST(session_reset_reports_unacknowledged_messages_and_does_not_resend_them) {
    FakeServer server;
    Events events;
    Client client(options_for(server), events.handlers());
    {
        Peer peer = server.accept();
        peer.read<HelloFrame>();
        peer.send(welcome(true, 1));
        client.send("old");
        peer.read<DataFrame>();
        peer.hang_up();
    }
    Peer peer = server.accept();
    CHECK(peer.read<HelloFrame>().resume);
    auto reset = welcome(true, 2);
    reset.session_reset_reason = 1;
    reset.lost_count = unknown_lost_count;
    peer.send(reset);
    events.wait("session-lost unknown 1 null");
    client.send("new");
    auto sent = peer.read<DataFrame>();
    CHECK_EQ(sent.seq.value_or(0), 1u);
    CHECK_EQ(text_of(sent), std::string("new"));
}

TEST(largest_message_in_a_session_is_the_peer_max_minus_8) {
    FakeServer server;
    Events events;
    Client client(options_for(server), events.handlers());
    Peer peer = server.accept();
    peer.read<HelloFrame>();
    peer.send(welcome(true, 3, 1024));
    events.wait("connected " + server.endpoint());
    client.send(std::string(1016, 'x'));
    CHECK_EQ(peer.read<DataFrame>().payload.size(), 1016u);
    CHECK_THROWS(client.send(std::string(1017, 'x')), Error);
}

TEST(piggy_backed_ack_goes_alone_when_it_would_not_fit) {
    FakeServer server;
    Events events;
    Client client(options_for(server), events.handlers());
    Peer peer = server.accept();
    peer.read<HelloFrame>();
    peer.send(welcome(true, 3, 1024));
    peer.send(data(1, "x"));
    events.wait("message x");
    client.send(std::string(1016, 'y'));
    auto ack = peer.read<AckFrame>();
    CHECK_EQ(ack.ack, 1u);
    auto message = peer.read<DataFrame>();
    CHECK(!message.ack.has_value());
    CHECK_EQ(message.payload.size(), 1016u);
}

TEST(silent_server_is_pinged_then_declared_dead) {
    FakeServer server;
    Events events;
    Client client(options_for(server, false), events.handlers());
    Peer peer = server.accept();
    peer.read<HelloFrame>();
    auto w = welcome(false);
    w.heartbeat_interval_ms = 300;
    w.heartbeat_timeout_ms = 600;
    peer.send(w);
    auto started = steady_clock::now();
    peer.read<PingFrame>();
    CHECK_EQ(peer.read<CloseFrame>().code, close_code::heartbeat_timeout);
    CHECK(steady_clock::now() - started >= milliseconds(550));
    events.wait("disconnected heartbeat-timeout 1006");
}

TEST(close_normal_from_the_server_ends_the_client) {
    FakeServer server;
    Events events;
    Client client(options_for(server, false), events.handlers());
    Peer peer = server.accept();
    peer.read<HelloFrame>();
    peer.send(welcome(false));
    peer.send(CloseFrame{close_code::normal, 0, "bye", {}});
    events.wait("disconnected closed-by-peer 1000");
    events.wait("closed closed-by-peer");
    CHECK(client.state() == ClientState::closed);
    CHECK_THROWS(client.send("late"), Error);
}

TEST(auth_failure_in_the_handshake_is_final) {
    FakeServer server;
    Events events;
    Client client(options_for(server, false), events.handlers());
    Peer peer = server.accept();
    peer.read<HelloFrame>();
    peer.send(CloseFrame{close_code::auth_failed, 0, "bad token", {}});
    events.wait("closed handshake-rejected");
}

TEST(goaway_closes_normally_and_waits_for_the_retry_hint) {
    FakeServer server;
    Events events;
    Client client(options_for(server), events.handlers());
    Peer peer = server.accept();
    peer.read<HelloFrame>();
    peer.send(welcome(true));
    auto sent = steady_clock::now();
    peer.send(GoAwayFrame{400, 10000, "restarting", {}});
    CHECK_EQ(peer.read<CloseFrame>().code, close_code::normal);
    peer.hang_up();
    events.wait("disconnected going-away 1001");
    Peer again = server.accept();
    CHECK(steady_clock::now() - sent >= milliseconds(400));
    CHECK(again.read<HelloFrame>().resume);
}

TEST(resumed_welcome_with_another_session_id_is_rejected_and_the_session_kept) {
    FakeServer server;
    Events events;
    Client client(options_for(server), events.handlers());
    {
        Peer peer = server.accept();
        peer.read<HelloFrame>();
        peer.send(welcome(true, 5));
        events.wait("connected " + server.endpoint());
        peer.hang_up();
    }
    {
        Peer peer = server.accept();
        peer.read<HelloFrame>();
        auto wrong = welcome(true, 6);
        wrong.resumed = true;
        peer.send(wrong);
        CHECK_EQ(peer.read<CloseFrame>().code, close_code::protocol_error);
    }
    Peer peer = server.accept();
    auto hello = peer.read<HelloFrame>();
    CHECK(hello.resume);
    CHECK_EQ(hello.session_id[0], 5);  // D7: asks for the same session again
}

TEST(goaway_alternate_endpoint_is_tried_first_once) {
    FakeServer server;
    FakeServer alternate;
    Events events;
    Client client(options_for(server), events.handlers());
    Peer peer = server.accept();
    peer.read<HelloFrame>();
    peer.send(welcome(true));
    GoAwayFrame goaway{0, 10000, "moving", {}};
    std::string target = alternate.endpoint();
    goaway.extensions.push_back(Extension{alternate_endpoint_key, Bytes(target.begin(), target.end())});
    goaway.extensions.push_back(Extension{alternate_endpoint_key, Bytes{'b', 'a', 'd'}});  // unparsable: ignored
    peer.send(goaway);
    CHECK_EQ(peer.read<CloseFrame>().code, close_code::normal);
    peer.hang_up();
    {
        Peer moved = alternate.accept();
        CHECK(moved.read<HelloFrame>().resume);
        moved.hang_up();  // the alternate fails before WELCOME: the configured list resumes
    }
    Peer back = server.accept();
    CHECK(back.read<HelloFrame>().resume);
}

TEST(close_waits_for_acks_then_reports_what_stayed_unacknowledged) {
    FakeServer server;
    Events events;
    Client client(options_for(server), events.handlers());
    Peer peer = server.accept();
    peer.read<HelloFrame>();
    peer.send(welcome(true));
    client.send("one");
    client.send("two");
    peer.read<DataFrame>();
    peer.read<DataFrame>();
    peer.send(AckFrame{1});
    auto started = steady_clock::now();
    auto closing = std::async(std::launch::async, [&] { return client.close(milliseconds(300)); });
    CHECK_EQ(peer.read<CloseFrame>().code, close_code::normal);
    CHECK(steady_clock::now() - started >= milliseconds(290));
    peer.hang_up();
    CHECK_EQ(closing.get(), 1u);
    CHECK_THROWS(client.send("after"), Error);
}

TEST(messages_sent_while_disconnected_go_out_after_the_reconnect) {
    FakeServer server;
    Events events;
    Client client(options_for(server, false), events.handlers());
    {
        Peer peer = server.accept();
        peer.read<HelloFrame>();
        peer.send(welcome(false));
        events.wait("connected " + server.endpoint());
        peer.send(CloseFrame{close_code::internal_error, 0, "", {}});
        events.wait("disconnected closed-by-peer 1011");
    }
    client.send("queued");
    Peer peer = server.accept();
    peer.read<HelloFrame>();
    peer.send(welcome(false));
    auto sent = peer.read<DataFrame>();
    CHECK(!sent.seq.has_value());
    CHECK_EQ(text_of(sent), std::string("queued"));
}

TEST(an_attempt_without_welcome_fails_at_the_connect_timeout_and_is_retried) {
    FakeServer server;
    Events events;
    auto options = options_for(server, false);
    options.connect_timeout = milliseconds(300);
    Client client(options, events.handlers());
    auto started = steady_clock::now();
    Peer silent = server.accept();
    silent.read<HelloFrame>();
    // D11: one deadline for TCP, TLS and HELLO -> WELCOME; the client closes without a frame (nothing before WELCOME).
    CHECK(silent.closed_silently());
    CHECK(steady_clock::now() - started >= milliseconds(290));
    events.wait("reconnecting");
    Peer next = server.accept();
    next.read<HelloFrame>();
}
