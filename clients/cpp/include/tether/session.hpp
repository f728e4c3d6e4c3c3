// The client's half of a reliable session (protocol section 10): numbering, replay buffer, in-order receive, ack timing.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "tether/protocol.hpp"

namespace tether {

struct AckPolicy {
    std::size_t after_messages = 32;
    std::size_t after_bytes = 64 * 1024;
    std::chrono::milliseconds delay{200};
};

struct SentMessage {
    std::uint64_t seq = 0;
    Bytes payload;
};

class ReliableSession {
public:
    using Clock = std::chrono::steady_clock;

    ReliableSession(const SessionId& id, AckPolicy policy) : id_(id), policy_(policy) {}

    const SessionId& id() const { return id_; }

    // Sending.
    /// Numbers a new message and keeps it for replay; returns its seq.
    std::uint64_t append(Bytes payload);
    /// Frees every message with seq <= ack. Throws ProtocolError when ack is above the highest seq sent; a stale ack
    /// frees nothing.
    void acknowledge(std::uint64_t ack);
    /// True when the peer's lastReceivedSeq shows it lacks messages already freed (section 10.6 step 4).
    bool peer_has_gap(std::uint64_t peer_last_received) const { return peer_last_received < last_acknowledged_; }
    const std::deque<SentMessage>& unacknowledged() const { return replay_; }
    std::size_t unacknowledged_bytes() const { return replay_bytes_; }
    std::uint64_t last_sent() const { return next_seq_ - 1; }
    std::uint64_t last_acknowledged() const { return last_acknowledged_; }

    // Receiving.
    enum class Verdict { deliver, duplicate };
    /// Classifies an incoming seq; throws ProtocolError for seq 0 (D14) or a gap.
    Verdict receive(std::uint64_t seq);
    /// Records a delivered message for the ack timing.
    void delivered(std::size_t bytes, Clock::time_point now);
    std::uint64_t last_received() const { return last_received_; }

    // Acknowledging.
    bool ack_pending() const { return last_received_ > last_ack_sent_; }
    /// When an ack is due: now after N messages or the byte threshold, else T_ack after the first unacknowledged.
    std::optional<Clock::time_point> ack_deadline() const;
    /// The value to send; records that it was sent.
    std::uint64_t take_ack();
    /// A new connection: what the previous one sent is not known to have arrived, so the next ack is owed again.
    void reset_ack_state();

private:
    SessionId id_;
    AckPolicy policy_;
    std::uint64_t next_seq_ = 1;
    std::uint64_t last_acknowledged_ = 0;
    std::deque<SentMessage> replay_;
    std::size_t replay_bytes_ = 0;
    std::uint64_t last_received_ = 0;
    std::uint64_t last_ack_sent_ = 0;
    std::size_t unacked_messages_ = 0;
    std::size_t unacked_bytes_ = 0;
    std::optional<Clock::time_point> first_unacked_;
};

}  // namespace tether
