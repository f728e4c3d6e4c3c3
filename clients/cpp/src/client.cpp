#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "tether/backoff.hpp"
#include "tether/session.hpp"
#include "tether/tether.hpp"
#include "transport.hpp"

namespace tether {

using detail::Clock;
using detail::IoError;

namespace {

constexpr std::size_t read_chunk = 64 * 1024;
// Messages move from the outbox to the socket only while less than this waits to be written, so a slow link keeps
// them in the outbox (where the unacknowledged bound sees them) rather than in an ever-growing write buffer.
constexpr std::size_t max_pending_output = 256 * 1024;
constexpr std::size_t remembered_pings = 16;

std::string seconds_text(Clock::duration d) {
    std::ostringstream out;
    out << std::chrono::duration<double>(d).count() << " s";
    return out.str();
}

std::string session_text(const SessionId& id) { return to_hex(id.data(), id.size()); }

std::uint64_t micros_now() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count());
}

std::string code_text(std::uint16_t code) {
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

std::vector<Endpoint> alternates_of(const std::vector<Extension>& extensions) {
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

}  // namespace

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

Client::Impl::Impl(ClientOptions options, Handlers handlers)
    : options_(std::move(options)),
      handlers_(std::move(handlers)),
      selector_({Endpoint{"127.0.0.1", 7447}}, EndpointSelection::failover),
      backoff_(options_.reconnect.base_delay, options_.reconnect.max_delay),
      random_(std::random_device{}()) {
    if (options_.endpoints.empty()) {
        throw Error("no endpoint: give at least one HOST:PORT");
    }
    for (const auto& text : options_.endpoints) {
        try {
            endpoints_.push_back(parse_endpoint(text));
        } catch (const std::invalid_argument& e) {
            throw Error(e.what());
        }
    }
    if (options_.client_id.size() > 256 || !is_valid_utf8(options_.client_id)) {
        throw Error("client id must be valid UTF-8 of at most 256 bytes");
    }
    if (options_.token.size() > 4096) {
        throw Error("token must be at most 4096 bytes");
    }
    if (options_.max_frame_size < min_max_frame_size) {
        throw Error("max frame size must be at least 1024");
    }
    if (options_.heartbeat_interval.count() < 0 || options_.heartbeat_timeout.count() < 0 ||
        options_.heartbeat_interval.count() > 0xFFFFFFFFLL || options_.heartbeat_timeout.count() > 0xFFFFFFFFLL) {
        throw Error("heartbeat interval and timeout must be between 0 (server decides) and 4294967295 ms");
    }
    if (options_.connect_timeout.count() <= 0) {
        throw Error("connect timeout must be positive");
    }
    if (options_.reconnect.base_delay.count() < 0 || options_.reconnect.max_delay < options_.reconnect.base_delay) {
        throw Error("reconnect base delay must be between 0 and the max delay");
    }
    if (options_.reconnect.max_attempts < 0) {
        throw Error("max attempts must be 0 (unlimited) or more");
    }
    if (options_.tls.enabled || options_.tls.insecure || !options_.tls.ca_file.empty()) {
        if (options_.tls.insecure && !options_.tls.ca_file.empty()) {
            throw Error("a CA file and insecure contradict each other: insecure checks nothing");
        }
        tls_ = std::make_unique<detail::TlsContext>(options_.tls);
    }
    selector_ = EndpointSelector(endpoints_, options_.endpoint_selection);

    // The I/O thread takes no signals: they belong to the application, and a SIGPIPE from a TLS write must not kill
    // the process (the write returns EPIPE instead).
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &previous);
    thread_ = std::thread([this] {
        io_thread_id_ = std::this_thread::get_id();
        run();
    });
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

Client::Impl::~Impl() { close(std::chrono::milliseconds(0)); }

void Client::Impl::send(Bytes message) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (close_requested_ || stopped_) {
        throw Error("the client is closed");
    }
    if (message.size() > 0xFFFFFFFFull - 16) {
        throw Error("message of " + std::to_string(message.size()) + " bytes is too large for a frame");
    }
    if (peer_max_ != 0) {
        std::size_t limit = peer_max_ - (peer_session_ ? 8 : 0);
        if (message.size() > limit) {
            throw Error("message of " + std::to_string(message.size()) + " bytes exceeds the server's limit of " +
                        std::to_string(limit) + " bytes");
        }
    }
    if (options_.session.enabled && std::this_thread::get_id() != io_thread_id_) {
        changed_.wait(lock, [&] {
            std::size_t held = outbox_bytes_ + replay_bytes_;
            return close_requested_ || stopped_ || held == 0 ||
                   held + message.size() <= options_.session.max_unacknowledged_bytes;
        });
        if (close_requested_ || stopped_) {
            throw Error("the client is closed");
        }
    }
    outbox_bytes_ += message.size();
    outbox_.push_back(std::move(message));
    lock.unlock();
    waker_.wake();
}

std::size_t Client::Impl::close(std::chrono::milliseconds ack_timeout) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!close_requested_) {
            close_requested_ = true;
            ack_deadline_ = Clock::now() + ack_timeout;
            if (!stopped_) {
                state_ = ClientState::closing;
            }
        } else if (Clock::now() + ack_timeout < ack_deadline_) {
            ack_deadline_ = Clock::now() + ack_timeout;
        }
    }
    changed_.notify_all();
    waker_.wake();
    if (std::this_thread::get_id() == io_thread_id_) {
        return unacknowledged();  // from a handler: the I/O thread cannot wait for itself
    }
    {
        std::lock_guard<std::mutex> join(join_mutex_);
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    std::lock_guard<std::mutex> lock(mutex_);
    return final_unacknowledged_;
}

bool Client::Impl::wait_closed(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return finished_; });
}

std::size_t Client::Impl::pending_count_locked() const {
    return outbox_.size() + replay_count_ + lost_while_closing_;
}

bool Client::Impl::stop_requested() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!close_requested_) {
        return false;
    }
    return Clock::now() >= ack_deadline_ || (outbox_.empty() && replay_count_ == 0);
}

bool Client::Impl::all_acknowledged(const Connection* c) const {
    std::lock_guard<std::mutex> lock(mutex_);
    bool written = c == nullptr || c->session || c->pending_output() == 0;
    return outbox_.empty() && replay_count_ == 0 && written;
}

void Client::Impl::sync_replay() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        replay_count_ = session_ ? session_->unacknowledged().size() : 0;
        replay_bytes_ = session_ ? session_->unacknowledged_bytes() : 0;
    }
    changed_.notify_all();
}

void Client::Impl::set_state(ClientState state) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopped_ && !(close_requested_ && state != ClientState::closed)) {
        state_ = state;
    }
}

void Client::Impl::finish(const std::string& reason, const std::string& error) {
    ClosedEvent event;
    event.reason = reason;
    event.error = error;
    {
        // Closed before the handler runs: a send() prompted by the event fails instead of waiting forever.
        std::lock_guard<std::mutex> lock(mutex_);
        event.unacknowledged = pending_count_locked();
        final_unacknowledged_ = event.unacknowledged;
        stopped_ = true;
        state_ = ClientState::closed;
    }
    changed_.notify_all();
    raise(handlers_.closed, event);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        finished_ = true;
    }
    changed_.notify_all();
}

HelloFrame Client::Impl::build_hello() const {
    HelloFrame hello;
    hello.heartbeat_interval_ms = static_cast<std::uint32_t>(options_.heartbeat_interval.count());
    hello.heartbeat_timeout_ms = static_cast<std::uint32_t>(options_.heartbeat_timeout.count());
    hello.max_frame_size = options_.max_frame_size;
    hello.client_id = options_.client_id;
    hello.token.assign(options_.token.begin(), options_.token.end());
    hello.session = options_.session.enabled;
    if (hello.session && session_) {
        hello.resume = true;
        hello.session_id = session_->id();
        hello.last_received_seq = session_->last_received();
    }
    return hello;
}

void Client::Impl::run() {
    int attempts = 0;
    std::string last_error;
    std::string last_disconnect;
    Endpoint endpoint = selector_.next();
    while (true) {
        if (stop_requested()) {
            finish("closed", "");
            return;
        }
        AttemptResult result = attempt(endpoint);
        switch (result.kind) {
            case AttemptResult::Kind::stopped:
                finish("closed", "");
                return;
            case AttemptResult::Kind::rejected:
                finish("handshake-rejected", result.error);
                return;
            case AttemptResult::Kind::opened: {
                if (result.ending.local) {
                    finish("closed", "");
                    return;
                }
                bool again = result.ending.reconnect && options_.reconnect.enabled;
                DisconnectedEvent event{result.ending.reason, result.ending.code, result.ending.description, again};
                raise(handlers_.disconnected, event);
                last_disconnect = result.ending.reason;
                if (result.ending.code) {
                    last_disconnect += " (" + code_text(*result.ending.code) + ")";
                }
                last_disconnect += ": " + result.ending.description;
                if (!again) {
                    finish(result.ending.reason, "disconnected from " + result.endpoint + ": " + last_disconnect);
                    return;
                }
                if (Clock::now() - result.opened_at >= options_.reconnect.stable_after) {
                    attempts = 0;
                }
                last_error.clear();
                break;
            }
            case AttemptResult::Kind::failed:
                last_error = result.error;
                if (!options_.reconnect.enabled) {
                    finish("gave-up", result.error);
                    return;
                }
                break;
        }
        ++attempts;
        if (options_.reconnect.max_attempts > 0 && attempts >= options_.reconnect.max_attempts) {
            std::string why = last_error.empty() ? last_disconnect : last_error;
            int max = options_.reconnect.max_attempts;
            finish("gave-up", why + " (gave up after " + std::to_string(max) + (max == 1 ? " attempt)" : " attempts)"));
            return;
        }
        auto now = Clock::now();
        auto delay = backoff_.next(attempts, random_);
        if (result.hint && *result.hint - now > delay) {
            delay = std::chrono::ceil<std::chrono::milliseconds>(*result.hint - now);
        }
        endpoint = selector_.next();
        set_state(ClientState::reconnecting);
        raise(handlers_.reconnecting, ReconnectingEvent{attempts, delay, endpoint.to_string(), last_error});
        auto wake_at = now + delay;
        while (Clock::now() < wake_at) {
            auto until = wake_at;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                if (close_requested_) {
                    until = std::min(until, ack_deadline_);
                }
            }
            detail::wait_fd(-1, 0, waker_, until);
            if (stop_requested()) {
                finish("closed", "");
                return;
            }
        }
    }
}

AttemptResult Client::Impl::attempt(const Endpoint& endpoint) {
    AttemptResult result;
    result.endpoint = endpoint.to_string();
    auto deadline = Clock::now() + options_.connect_timeout;
    auto should_stop = [this] { return stop_requested(); };
    try {
        auto socket = detail::connect_tcp(endpoint, deadline, waker_, should_stop);
        if (socket.get() < 0) {
            result.kind = AttemptResult::Kind::stopped;
            return result;
        }
        Connection c;
        c.endpoint = endpoint;
        c.transport = tls_ ? tls_->handshake(std::move(socket), endpoint, deadline, waker_, should_stop)
                           : detail::plain_transport(std::move(socket));
        if (!c.transport) {
            result.kind = AttemptResult::Kind::stopped;
            return result;
        }
        c.handshake_deadline = deadline;
        c.hello = build_hello();
        queue(c, c.hello);
        return serve(c);
    } catch (const IoError& e) {
        result.error = e.what();
        return result;
    }
}

AttemptResult Client::Impl::serve(Connection& c) {
    AttemptResult result;
    result.endpoint = c.endpoint.to_string();
    while (true) {
        auto now = Clock::now();
        if (!c.done) {
            tick(c, now);
        }
        if (!c.done) {
            try {
                flush(c);
            } catch (const IoError& e) {
                lost(c, e.what());
            }
        }
        if (c.done) {
            break;
        }
        short events = POLLIN;
        if (c.pending_output() > 0 || c.transport->wants_write()) {
            events |= POLLOUT;
        }
        pollfd fds[2] = {{waker_.fd(), POLLIN, 0}, {c.transport->fd(), events, 0}};
        auto deadline = next_deadline(c);
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count() + 1;
        int timeout = wait <= 0 ? 0 : static_cast<int>(std::min<long long>(wait, 60000));
        bool buffered = c.transport->has_buffered_input();
        if (buffered) {
            timeout = 0;
        }
        if (::poll(fds, 2, timeout) < 0 && errno != EINTR) {
            lost(c, std::string("poll failed: ") + std::strerror(errno));
            break;
        }
        if (fds[0].revents) {
            waker_.drain();
        }
        if (fds[1].revents || buffered) {
            try {
                read_input(c);
                process_input(c);
                if (!c.done) {
                    flush(c);
                }
            } catch (const IoError& e) {
                lost(c, e.what());
            }
        }
    }
    if (c.hint) {
        result.hint = c.hint;
    }
    if (c.alternates) {
        selector_.set_alternates(*c.alternates);
    }
    if (c.rejected) {
        result.kind = AttemptResult::Kind::rejected;
        result.error = c.failure;
    } else if (!c.opened) {
        result.kind = AttemptResult::Kind::failed;
        result.error = c.failure.empty() ? (c.ending ? c.ending->description : "the attempt failed") : c.failure;
        if (c.ending && c.ending->local) {
            result.kind = AttemptResult::Kind::stopped;
        }
    } else {
        result.kind = AttemptResult::Kind::opened;
        result.ending = *c.ending;
        result.opened_at = c.opened_at;
    }
    return result;
}

Clock::time_point Client::Impl::next_deadline(const Connection& c) const {
    auto deadline = Clock::now() + std::chrono::seconds(60);
    switch (c.phase) {
        case Connection::Phase::handshake:
            deadline = std::min(deadline, c.handshake_deadline);
            break;
        case Connection::Phase::open:
            deadline = std::min({deadline, c.last_received + c.timeout, c.last_sent + c.interval});
            if (session_) {
                if (auto due = session_->ack_deadline()) {
                    deadline = std::min(deadline, *due);
                }
            }
            break;
        case Connection::Phase::lingering:
            deadline = std::min(deadline, c.linger_deadline);
            break;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (close_requested_) {
        deadline = std::min(deadline, ack_deadline_);
    }
    return deadline;
}

void Client::Impl::tick(Connection& c, Clock::time_point now) {
    switch (c.phase) {
        case Connection::Phase::handshake:
            if (now >= c.handshake_deadline) {
                // Nothing may be sent before the server's first frame: the TCP close is the whole goodbye.
                c.failure = "no WELCOME from " + c.endpoint.to_string() + " within " +
                            seconds_text(options_.connect_timeout);
                c.ending = Ending{"handshake-timeout", std::nullopt, c.failure};
                c.done = true;
            } else if (stop_requested()) {
                c.ending = Ending{"closed", std::nullopt, "closed by the application", false, true};
                c.done = true;
            }
            return;
        case Connection::Phase::lingering:
            if (c.pending_output() == 0 && !c.shut_down) {
                c.shut_down = true;
                c.transport->shutdown_write();
            }
            if (now >= c.linger_deadline) {
                c.done = true;
            }
            return;
        case Connection::Phase::open:
            break;
    }
    if (now - c.last_received >= c.timeout) {
        // D4: the link is presumed dead, so no linger: CLOSE 1006 best effort, then close at once.
        queue(c, CloseFrame{close_code::heartbeat_timeout, 0, "heartbeat timeout", {}});
        try {
            flush(c);
        } catch (const IoError&) {
        }
        c.ending = Ending{"heartbeat-timeout", close_code::heartbeat_timeout,
                          "nothing received from the server for " + seconds_text(now - c.last_received)};
        c.done = true;
        return;
    }
    if (now - c.last_sent >= c.interval) {
        std::uint64_t value = micros_now();
        c.pings.push_back(value);
        if (c.pings.size() > remembered_pings) {
            c.pings.pop_front();
        }
        queue(c, PingFrame{value});
    }
    if (session_ && c.session) {
        if (auto due = session_->ack_deadline(); due && *due <= now) {
            send_ack(c);
        }
    }
    move_outbox(c);
    bool closing;
    bool abort;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        closing = close_requested_;
        abort = close_requested_ && now >= ack_deadline_;
    }
    if (closing && (abort || all_acknowledged(&c))) {
        begin_close(c, close_code::normal, "client closing", Ending{"closed", std::nullopt, "closed by the application", false, true});
    }
}

void Client::Impl::queue(Connection& c, const Frame& frame) {
    encode_into(frame, c.out);
    c.last_sent = Clock::now();
}

void Client::Impl::send_ack(Connection& c) {
    if (session_ && c.session && session_->ack_pending()) {
        queue(c, AckFrame{session_->take_ack()});
    }
}

void Client::Impl::transmit(Connection& c, std::uint64_t seq, const Bytes& payload, bool allow_ack) {
    DataFrame frame;
    frame.seq = seq;
    // D3: the ack rides along only when it fits; otherwise it goes alone, first.
    if (allow_ack && session_->ack_pending()) {
        if (payload.size() + 16 <= c.peer_max) {
            frame.ack = session_->take_ack();
        } else {
            send_ack(c);
        }
    }
    frame.payload = payload;
    queue(c, frame);
}

void Client::Impl::move_outbox(Connection& c) {
    if (c.phase != Connection::Phase::open) {
        return;
    }
    bool moved = false;
    while (c.pending_output() < max_pending_output) {
        Bytes message;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (outbox_.empty()) {
                break;
            }
            message = std::move(outbox_.front());
            outbox_.pop_front();
            outbox_bytes_ -= message.size();
            if (session_ && c.session) {
                // Counted as unacknowledged from here on, without a moment where it is neither queued nor held.
                ++replay_count_;
                replay_bytes_ += message.size();
            }
        }
        moved = true;
        std::size_t limit = c.peer_max - (c.session ? 8 : 0);
        if (message.size() > limit) {
            if (session_ && c.session) {
                std::lock_guard<std::mutex> lock(mutex_);
                --replay_count_;
                replay_bytes_ -= message.size();
            }
            raise(handlers_.error, "message of " + std::to_string(message.size()) +
                                       " bytes dropped: it exceeds the server's limit of " + std::to_string(limit) +
                                       " bytes");
            continue;
        }
        if (session_ && c.session) {
            std::uint64_t seq = session_->append(message);
            transmit(c, seq, session_->unacknowledged().back().payload, true);
        } else {
            DataFrame frame;
            frame.payload = std::move(message);
            queue(c, frame);
        }
    }
    if (moved) {
        sync_replay();
    }
}

void Client::Impl::flush(Connection& c) {
    while (c.pending_output() > 0) {
        ssize_t n = c.transport->write(c.out.data() + c.out_pos, c.pending_output());
        if (n < 0) {
            break;
        }
        c.out_pos += static_cast<std::size_t>(n);
    }
    if (c.out_pos == c.out.size()) {
        c.out.clear();
        c.out_pos = 0;
    } else if (c.out_pos > 1024 * 1024) {
        c.out.erase(c.out.begin(), c.out.begin() + static_cast<std::ptrdiff_t>(c.out_pos));
        c.out_pos = 0;
    }
}

void Client::Impl::read_input(Connection& c) {
    std::size_t total = 0;
    while (total < 4 * read_chunk && !c.done) {
        std::size_t old = c.in.size();
        c.in.resize(old + read_chunk);
        ssize_t n = c.transport->read(c.in.data() + old, read_chunk);
        c.in.resize(old + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
        if (n < 0) {
            break;
        }
        if (n == 0) {
            process_input(c);  // what arrived before the end still counts (e.g. a CLOSE)
            if (!c.done) {
                if (c.phase == Connection::Phase::lingering) {
                    c.done = true;
                } else if (c.phase == Connection::Phase::handshake) {
                    lost(c, c.endpoint.to_string() + " closed the connection during the handshake");
                } else {
                    lost(c, "the server closed the connection");
                }
            }
            return;
        }
        total += static_cast<std::size_t>(n);
    }
}

void Client::Impl::process_input(Connection& c) {
    while (!c.done && !c.discard_input) {
        std::size_t available = c.in.size() - c.in_pos;
        if (available < header_size) {
            break;
        }
        const std::uint8_t* start = c.in.data() + c.in_pos;
        FrameHeader header = parse_header(start);
        if (c.phase == Connection::Phase::lingering) {
            // After our CLOSE, input is discarded; only a CLOSE's retry hint and alternates still matter (D10).
            if (header.length > c.receive_limit) {
                c.discard_input = true;
                break;
            }
            if (available < header_size + header.length) {
                break;
            }
            note_close_while_lingering(c, header, start + header_size);
            c.in_pos += header_size + header.length;
            continue;
        }
        try {
            if (c.phase == Connection::Phase::handshake && header.type != frame_type::welcome &&
                header.type != frame_type::close) {
                throw ProtocolError(close_code::protocol_error,
                                    "the server's first frame is type " + std::to_string(header.type) +
                                        ", not WELCOME or CLOSE");
            }
            check_header(header, c.receive_limit);
            if (available < header_size + header.length) {
                break;
            }
            c.in_pos += header_size + header.length;
            handle_frame(c, header, start + header_size);
        } catch (const ProtocolError& e) {
            violation(c, e);
        }
    }
    if (c.in_pos == c.in.size()) {
        c.in.clear();
        c.in_pos = 0;
    } else if (c.in_pos > 1024 * 1024) {
        c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(c.in_pos));
        c.in_pos = 0;
    }
}

void Client::Impl::note_close_while_lingering(Connection& c, const FrameHeader& header, const std::uint8_t* body) {
    if (header.type != frame_type::close) {
        return;
    }
    try {
        auto frame = std::get<CloseFrame>(decode_body(header, body, header.length));
        auto now = Clock::now();
        if (frame.retry_after_ms > 0) {
            auto hint = now + std::chrono::milliseconds(frame.retry_after_ms);
            c.hint = c.hint ? std::max(*c.hint, hint) : hint;
        }
        auto alternates = alternates_of(frame.extensions);
        if (!alternates.empty()) {
            c.alternates = alternates;
        }
    } catch (const ProtocolError&) {
        c.discard_input = true;
    }
    c.done = true;  // the server has closed its side of the exchange
}

void Client::Impl::handle_frame(Connection& c, const FrameHeader& header, const std::uint8_t* body) {
    Frame frame;
    try {
        frame = decode_body(header, body, header.length);
    } catch (const ProtocolError& e) {
        if (header.type == frame_type::close) {
            // D1: a malformed CLOSE gets no reply; it counts as a received 1002 for reconnecting.
            std::string why = std::string("malformed CLOSE from the server: ") + e.what();
            c.ending = Ending{"protocol-error", std::nullopt, why};
            c.failure = why;
            c.done = true;
            return;
        }
        throw;
    }
    c.last_received = Clock::now();
    switch (header.type) {
        case frame_type::welcome:
            if (c.phase != Connection::Phase::handshake) {
                throw ProtocolError(close_code::protocol_error, "a second WELCOME");
            }
            on_welcome(c, std::get<WelcomeFrame>(frame));
            break;
        case frame_type::close:
            on_close(c, std::get<CloseFrame>(frame));
            break;
        case frame_type::data:
            on_data(c, std::get<DataFrame>(frame));
            break;
        case frame_type::ack:
            if (!c.session) {
                throw ProtocolError(close_code::protocol_error, "ACK outside a session");
            }
            session_->acknowledge(std::get<AckFrame>(frame).ack);
            sync_replay();
            break;
        case frame_type::ping:
            queue(c, PongFrame{std::get<PingFrame>(frame).value});
            break;
        case frame_type::pong: {
            auto value = std::get<PongFrame>(frame).value;
            auto found = std::find(c.pings.begin(), c.pings.end(), value);
            if (found != c.pings.end()) {
                c.pings.erase(c.pings.begin(), found + 1);
                double ms = static_cast<double>(micros_now() - value) / 1000.0;
                raise(handlers_.rtt, std::chrono::duration<double, std::milli>(ms));
            }
            break;
        }
        case frame_type::goaway:
            on_goaway(c, std::get<GoAwayFrame>(frame));
            break;
        case frame_type::hello:
            throw ProtocolError(close_code::protocol_error, "the server sent HELLO");
        default:
            break;  // an extension frame this client does not know: skipped
    }
}

void Client::Impl::on_welcome(Connection& c, const WelcomeFrame& w) {
    if (w.version != 1) {
        throw ProtocolError(close_code::protocol_error,
                            "WELCOME chose version " + std::to_string(w.version) + ", outside 1-1");
    }
    if (w.session && !c.hello.session) {
        throw ProtocolError(close_code::protocol_error, "WELCOME grants a session the client did not ask for");
    }
    if (w.resumed) {
        if (!c.hello.resume || !session_) {
            throw ProtocolError(close_code::protocol_error, "WELCOME resumes a session the client did not ask to resume");
        }
        if (w.session_id != session_->id()) {
            // D7: the session is kept and asked for again on the next attempt.
            throw ProtocolError(close_code::protocol_error, "WELCOME resumes session " + session_text(w.session_id) +
                                                                ", not the requested " + session_text(session_->id()));
        }
        if (w.last_received_seq > session_->last_sent()) {
            throw ProtocolError(close_code::protocol_error,
                                "WELCOME acknowledges seq " + std::to_string(w.last_received_seq) +
                                    ", but the client only sent up to " + std::to_string(session_->last_sent()));
        }
    }
    auto now = Clock::now();
    std::size_t resent = 0;
    if (w.resumed && session_->peer_has_gap(w.last_received_seq)) {
        // Section 10.6 step 4 and D8: report, close with 1000, and start a new session through the backoff.
        std::string description = "the server has the client's messages up to " + std::to_string(w.last_received_seq) +
                                  ", but the client freed up to " + std::to_string(session_->last_acknowledged());
        report_session_lost("gap", std::nullopt, description);
        c.failure = "session gap: " + description + "; starting a new session";
        begin_close(c, close_code::normal, "session gap", Ending{"closed", close_code::normal, c.failure});
        return;
    }
    if (w.resumed) {
        session_->acknowledge(w.last_received_seq);
        session_->reset_ack_state();
    } else {
        if (c.hello.resume && session_) {
            std::string reason;
            if (!w.session) {
                reason = "not-granted";
            } else {
                switch (w.session_reset_reason) {
                    case 2: reason = "expired"; break;
                    case 3: reason = "overflow"; break;
                    case 4: reason = "gap"; break;
                    default: reason = "unknown"; break;
                }
            }
            std::optional<std::uint32_t> server_lost;
            if (w.session && w.session_reset_reason != 0 && w.lost_count != unknown_lost_count) {
                server_lost = w.lost_count;
            }
            report_session_lost(reason, server_lost,
                                "the server did not resume session " + session_text(session_->id()) + ": " + reason);
        }
        session_.reset();
        if (w.session) {
            session_.emplace(w.session_id, AckPolicy{options_.session.ack_after_messages,
                                                     options_.session.ack_after_bytes, options_.session.ack_delay});
        }
    }
    c.session = w.session;
    c.peer_max = w.max_frame_size;
    c.receive_limit = options_.max_frame_size;
    c.interval = std::chrono::milliseconds(w.heartbeat_interval_ms);
    c.timeout = std::chrono::milliseconds(w.heartbeat_timeout_ms);
    c.phase = Connection::Phase::open;
    c.opened = true;
    c.opened_at = now;
    c.last_received = now;
    c.last_sent = now;
    selector_.on_connected();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        peer_max_ = w.max_frame_size;
        peer_session_ = w.session;
    }
    sync_replay();
    set_state(ClientState::connected);
    raise(handlers_.connected, ConnectedEvent{c.endpoint.to_string(), w.server_id, w.session,
                                              std::chrono::milliseconds(w.heartbeat_interval_ms),
                                              std::chrono::milliseconds(w.heartbeat_timeout_ms)});
    if (w.resumed) {
        for (const auto& message : session_->unacknowledged()) {
            transmit(c, message.seq, message.payload, false);
            ++resent;
        }
        raise(handlers_.resumed, ResumedEvent{session_text(session_->id()), w.last_received_seq, resent});
    }
}

void Client::Impl::report_session_lost(const std::string& reason, std::optional<std::uint32_t> server_lost,
                                       const std::string& description) {
    SessionLostEvent event;
    event.session_id = session_text(session_->id());
    event.reason = reason;
    for (const auto& message : session_->unacknowledged()) {
        event.unacknowledged.push_back(message.payload);
    }
    event.server_reported_lost = server_lost;
    event.description = description;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (close_requested_) {
            lost_while_closing_ += event.unacknowledged.size();
        }
    }
    // D9: the old session's unacknowledged messages are handed back, never resent in the new one.
    session_.reset();
    sync_replay();
    raise(handlers_.session_lost, event);
}

void Client::Impl::on_data(Connection& c, DataFrame& d) {
    if (c.session) {
        if (!d.seq) {
            throw ProtocolError(close_code::protocol_error, "DATA without SEQ in a session");
        }
        if (d.ack) {
            session_->acknowledge(*d.ack);
            sync_replay();
        }
        if (session_->receive(*d.seq) == ReliableSession::Verdict::duplicate) {
            return;
        }
        session_->delivered(d.payload.size(), Clock::now());
    } else if (d.seq || d.ack) {
        throw ProtocolError(close_code::protocol_error, "DATA with SEQ or ACK outside a session");
    }
    raise(handlers_.message, d.payload);
}

void Client::Impl::on_close(Connection& c, const CloseFrame& f) {
    auto now = Clock::now();
    if (f.retry_after_ms > 0) {
        auto hint = now + std::chrono::milliseconds(f.retry_after_ms);
        c.hint = c.hint ? std::max(*c.hint, hint) : hint;
    }
    auto alternates = alternates_of(f.extensions);
    if (!alternates.empty()) {
        c.alternates = alternates;
    }
    std::string description = f.reason.empty() ? close_code::name(f.code) : f.reason;
    if (description.empty()) {
        description = "closed by the server";
    }
    c.ending = Ending{close_code::reason_name(f.code), f.code, description, close_code::allows_reconnect(f.code)};
    if (c.phase == Connection::Phase::handshake) {
        c.failure = c.endpoint.to_string() + " refused the connection: " + code_text(f.code) + ": " + description;
        c.rejected = !close_code::allows_reconnect(f.code);
    }
    // The receiver of CLOSE sends nothing more and closes (section 12).
    c.done = true;
}

void Client::Impl::on_goaway(Connection& c, const GoAwayFrame& g) {
    c.hint = Clock::now() + std::chrono::milliseconds(g.retry_after_ms);
    auto alternates = alternates_of(g.extensions);
    if (!alternates.empty()) {
        c.alternates = alternates;
    }
    // D6: no new DATA on this connection, the pending ack, then CLOSE 1000 at once.
    begin_close(c, close_code::normal, "going away",
                Ending{"going-away", close_code::going_away, g.reason.empty() ? "server going away" : g.reason});
}

void Client::Impl::violation(Connection& c, const ProtocolError& e) {
    if (c.phase != Connection::Phase::open) {
        c.failure = "protocol error from " + c.endpoint.to_string() + ": " + e.what();
    }
    // D5: a client that closes with 1002/1004 itself reconnects with backoff.
    begin_close(c, e.code(), e.what(), Ending{"protocol-error", e.code(), e.what()});
}

void Client::Impl::lost(Connection& c, const std::string& why) {
    if (c.done) {
        return;
    }
    if (c.phase == Connection::Phase::lingering) {
        c.done = true;
        return;
    }
    if (c.phase == Connection::Phase::handshake) {
        c.failure = why;
    }
    c.ending = Ending{"connection-lost", std::nullopt, why};
    c.done = true;
}

void Client::Impl::begin_close(Connection& c, std::uint16_t code, const std::string& reason, Ending ending) {
    if (c.phase == Connection::Phase::open && code == close_code::normal) {
        send_ack(c);  // acks are flushed before a graceful close (section 10.4)
    }
    std::string text = reason.size() > 1024 ? reason.substr(0, 1024) : reason;
    if (!is_valid_utf8(text)) {
        text = "closing";
    }
    queue(c, CloseFrame{code, 0, text, {}});
    c.ending = std::move(ending);
    c.phase = Connection::Phase::lingering;
    c.linger_deadline = Clock::now() + options_.linger;
}

Client::Client(ClientOptions options, Handlers handlers)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handlers))) {}

Client::~Client() = default;

void Client::send(std::string_view message) {
    impl_->send(Bytes(message.begin(), message.end()));
}

void Client::send(const Bytes& message) { impl_->send(message); }

std::size_t Client::close(std::chrono::milliseconds ack_timeout) { return impl_->close(ack_timeout); }

bool Client::wait_closed(std::chrono::milliseconds timeout) { return impl_->wait_closed(timeout); }

ClientState Client::state() const { return impl_->state(); }

std::size_t Client::unacknowledged() const { return impl_->unacknowledged(); }

}  // namespace tether
