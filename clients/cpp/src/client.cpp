#include <pthread.h>
#include <signal.h>

#include "client_impl.hpp"

namespace tether {

using namespace detail;

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
    if (std::this_thread::get_id() != io_thread_id_) {
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
