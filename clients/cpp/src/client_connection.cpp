#include <poll.h>

#include <cerrno>
#include <cstring>

#include "client_impl.hpp"

namespace tether {

using namespace detail;

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
    if (close_requested_ && c.phase != Connection::Phase::lingering) {
        // Once our CLOSE is queued the close deadline has done its work; only the linger is left to wait for.
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

}  // namespace tether
