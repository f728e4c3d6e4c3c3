// The client's private parts: the state of one connection, how it ended, and Client::Impl, whose members are defined
// in client.cpp (application side and reconnect loop), client_connection.cpp (one connection's I/O and timers) and
// client_frames.cpp (what each received frame does).
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "tether/backoff.hpp"
#include "tether/session.hpp"
#include "tether/tether.hpp"
#include "transport.hpp"

namespace tether {

namespace detail {

constexpr std::size_t read_chunk = 64 * 1024;
// Messages move from the outbox to the socket only while less than this waits to be written, so a slow link keeps
// them in the outbox (where the unacknowledged bound sees them) rather than in an ever-growing write buffer.
constexpr std::size_t max_pending_output = 256 * 1024;
constexpr std::size_t remembered_pings = 16;

inline std::string seconds_text(Clock::duration d) {
    std::ostringstream out;
    out << std::chrono::duration<double>(d).count() << " s";
    return out.str();
}

inline std::string session_text(const SessionId& id) { return to_hex(id.data(), id.size()); }

inline std::uint64_t micros_now() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count());
}

inline std::string code_text(std::uint16_t code) {
    std::string name = close_code::name(code);
    return std::to_string(code) + (name.empty() ? "" : " " + name);
}

/// How one connection ended, and what the run loop should do next.
struct Ending {
    std::string reason;
    std::optional<std::uint16_t> code;
    std::string description;
    bool reconnect = true;
    bool local = false;  // our own close(): no disconnected event
};

struct Connection {
    enum class Phase { handshake, open, lingering };

    std::unique_ptr<detail::Transport> transport;
    Endpoint endpoint;
    HelloFrame hello;
    Phase phase = Phase::handshake;
    bool opened = false;  // WELCOME accepted: a "connected" event was raised
    Bytes in;
    std::size_t in_pos = 0;
    Bytes out;
    std::size_t out_pos = 0;
    bool shut_down = false;
    bool discard_input = false;
    std::uint32_t receive_limit = handshake_max_body;
    std::uint32_t peer_max = 0;
    bool session = false;
    Clock::time_point handshake_deadline;
    Clock::time_point opened_at;
    Clock::time_point last_sent;
    Clock::time_point last_received;
    Clock::time_point linger_deadline;
    Clock::duration interval{};
    Clock::duration timeout{};
    std::deque<std::uint64_t> pings;
    // How it ends: set once; `done` returns it to the run loop (after the linger when we sent CLOSE).
    std::optional<Ending> ending;
    bool done = false;
    std::string failure;  // the attempt failed before opening: why
    bool rejected = false;  // a CLOSE during the handshake whose code does not allow reconnecting
    // Retry hints (GOAWAY and CLOSE) and alternate endpoints, decision D10.
    std::optional<Clock::time_point> hint;
    std::optional<std::vector<Endpoint>> alternates;

    std::size_t pending_output() const { return out.size() - out_pos; }
};

struct AttemptResult {
    enum class Kind { opened, failed, rejected, stopped } kind = Kind::failed;
    Ending ending;
    std::string error;
    Clock::time_point opened_at;
    std::optional<Clock::time_point> hint;
    std::string endpoint;
};

inline std::vector<Endpoint> alternates_of(const std::vector<Extension>& extensions) {
    std::vector<Endpoint> found;
    for (const auto& item : extensions) {
        if (item.key != alternate_endpoint_key || !is_valid_utf8(item.value.data(), item.value.size())) {
            continue;
        }
        try {
            found.push_back(parse_endpoint(std::string(item.value.begin(), item.value.end())));
        } catch (const std::invalid_argument&) {
            // A hint the client cannot parse is ignored (protocol section 6).
        }
    }
    return found;
}

template <typename Handler, typename... Args>
void raise(const Handler& handler, Args&&... args) {
    if (!handler) {
        return;
    }
    try {
        handler(std::forward<Args>(args)...);
    } catch (...) {
        // A throwing handler must not end the I/O thread (and the process with it).
    }
}

}  // namespace detail

using detail::AttemptResult;
using detail::Clock;
using detail::Connection;
using detail::Ending;
using detail::IoError;

class Client::Impl {
public:
    Impl(ClientOptions options, Handlers handlers);
    ~Impl();

    void send(Bytes message);
    std::size_t close(std::chrono::milliseconds ack_timeout);
    bool wait_closed(std::chrono::milliseconds timeout);
    ClientState state() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return state_;
    }
    std::size_t unacknowledged() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return outbox_.size() + replay_count_ + lost_while_closing_;
    }

private:
    void run();
    AttemptResult attempt(const Endpoint& endpoint);
    AttemptResult serve(Connection& c);
    void tick(Connection& c, Clock::time_point now);
    Clock::time_point next_deadline(const Connection& c) const;
    void flush(Connection& c);
    void read_input(Connection& c);
    void process_input(Connection& c);
    void handle_frame(Connection& c, const FrameHeader& header, const std::uint8_t* body);
    void on_welcome(Connection& c, const WelcomeFrame& w);
    void on_data(Connection& c, DataFrame& d);
    void on_close(Connection& c, const CloseFrame& f);
    void on_goaway(Connection& c, const GoAwayFrame& g);
    void note_close_while_lingering(Connection& c, const FrameHeader& header, const std::uint8_t* body);
    void violation(Connection& c, const ProtocolError& e);
    void lost(Connection& c, const std::string& why);
    void begin_close(Connection& c, std::uint16_t code, const std::string& reason, Ending ending);
    void queue(Connection& c, const Frame& frame);
    void send_ack(Connection& c);
    void transmit(Connection& c, std::uint64_t seq, const Bytes& payload, bool allow_ack);
    void move_outbox(Connection& c);
    void report_session_lost(const std::string& reason, std::optional<std::uint32_t> server_lost,
                             const std::string& description);
    HelloFrame build_hello() const;
    bool stop_requested() const;
    bool all_acknowledged(const Connection* c) const;
    void sync_replay();
    void set_state(ClientState state);
    void finish(const std::string& reason, const std::string& error);
    std::size_t pending_count_locked() const;

    // Immutable after construction.
    ClientOptions options_;
    Handlers handlers_;
    std::vector<Endpoint> endpoints_;
    std::unique_ptr<detail::TlsContext> tls_;

    // Shared with application threads, under mutex_.
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Bytes> outbox_;
    std::size_t outbox_bytes_ = 0;
    std::size_t replay_count_ = 0;
    std::size_t replay_bytes_ = 0;
    std::size_t lost_while_closing_ = 0;
    std::uint32_t peer_max_ = 0;
    bool peer_session_ = false;
    bool close_requested_ = false;
    Clock::time_point ack_deadline_;
    bool finished_ = false;
    bool stopped_ = false;
    std::size_t final_unacknowledged_ = 0;
    ClientState state_ = ClientState::connecting;
    std::mutex join_mutex_;

    // I/O thread only.
    EndpointSelector selector_;
    Backoff backoff_;
    std::mt19937_64 random_;
    std::optional<ReliableSession> session_;

    detail::Waker waker_;
    std::thread thread_;
    std::atomic<std::thread::id> io_thread_id_{};
};

}  // namespace tether
