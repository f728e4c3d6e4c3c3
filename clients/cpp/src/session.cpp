#include "tether/session.hpp"

namespace tether {

std::uint64_t ReliableSession::append(Bytes payload) {
    std::uint64_t seq = next_seq_++;
    replay_bytes_ += payload.size();
    replay_.push_back(SentMessage{seq, std::move(payload)});
    return seq;
}

void ReliableSession::acknowledge(std::uint64_t ack) {
    if (ack > last_sent()) {
        throw ProtocolError(close_code::protocol_error, "ack " + std::to_string(ack) + " is above the highest seq sent (" +
                                                            std::to_string(last_sent()) + ")");
    }
    if (ack <= last_acknowledged_) {
        return;
    }
    last_acknowledged_ = ack;
    while (!replay_.empty() && replay_.front().seq <= ack) {
        replay_bytes_ -= replay_.front().payload.size();
        replay_.pop_front();
    }
}

ReliableSession::Verdict ReliableSession::receive(std::uint64_t seq) {
    if (seq == 0) {
        throw ProtocolError(close_code::protocol_error, "DATA seq 0 in a session (numbering starts at 1)");
    }
    if (seq <= last_received_) {
        return Verdict::duplicate;
    }
    if (seq != last_received_ + 1) {
        throw ProtocolError(close_code::protocol_error, "DATA seq " + std::to_string(seq) + " leaves a gap after " +
                                                            std::to_string(last_received_));
    }
    last_received_ = seq;
    return Verdict::deliver;
}

void ReliableSession::delivered(std::size_t bytes, Clock::time_point now) {
    if (!first_unacked_) {
        first_unacked_ = now;
    }
    ++unacked_messages_;
    unacked_bytes_ += bytes;
}

std::optional<ReliableSession::Clock::time_point> ReliableSession::ack_deadline() const {
    if (!ack_pending()) {
        return std::nullopt;
    }
    if (unacked_messages_ >= policy_.after_messages || unacked_bytes_ >= policy_.after_bytes || !first_unacked_) {
        return Clock::time_point::min();
    }
    return *first_unacked_ + policy_.delay;
}

std::uint64_t ReliableSession::take_ack() {
    last_ack_sent_ = last_received_;
    unacked_messages_ = 0;
    unacked_bytes_ = 0;
    first_unacked_.reset();
    return last_received_;
}

void ReliableSession::reset_ack_state() {
    // The resuming HELLO carried lastReceivedSeq, which acknowledges everything received so far.
    last_ack_sent_ = last_received_;
    unacked_messages_ = 0;
    unacked_bytes_ = 0;
    first_unacked_.reset();
}

}  // namespace tether
