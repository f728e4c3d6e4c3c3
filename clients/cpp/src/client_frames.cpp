#include "client_impl.hpp"

namespace tether {

using namespace detail;

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

}  // namespace tether
