#include "test.hpp"
#include "tether/session.hpp"

using namespace tether;
using namespace std::chrono;

namespace {
ReliableSession make(AckPolicy policy = {}) { return ReliableSession(SessionId{1}, policy); }
Bytes bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
}  // namespace

TEST(session_numbers_messages_from_one) {
    auto s = make();
    CHECK_EQ(s.append(bytes("a")), 1u);
    CHECK_EQ(s.append(bytes("bb")), 2u);
    CHECK_EQ(s.last_sent(), 2u);
    CHECK_EQ(s.unacknowledged().size(), 2u);
    CHECK_EQ(s.unacknowledged_bytes(), 3u);
}

TEST(session_ack_frees_the_replay_buffer_cumulatively) {
    auto s = make();
    for (int i = 0; i < 5; ++i) {
        s.append(bytes("x"));
    }
    s.acknowledge(3);
    CHECK_EQ(s.unacknowledged().size(), 2u);
    CHECK_EQ(s.unacknowledged().front().seq, 4u);
    s.acknowledge(2);  // stale: frees nothing, no error
    CHECK_EQ(s.unacknowledged().size(), 2u);
    CHECK_EQ(s.last_acknowledged(), 3u);
    CHECK_THROWS(s.acknowledge(6), ProtocolError);
    s.acknowledge(5);
    CHECK(s.unacknowledged().empty());
}

TEST(session_detects_a_peer_gap_on_resume) {
    auto s = make();
    s.append(bytes("a"));
    s.append(bytes("b"));
    s.acknowledge(2);
    CHECK(s.peer_has_gap(1));
    CHECK(!s.peer_has_gap(2));
}

TEST(session_receive_delivers_in_order_and_drops_duplicates) {
    auto s = make();
    CHECK(s.receive(1) == ReliableSession::Verdict::deliver);
    CHECK(s.receive(2) == ReliableSession::Verdict::deliver);
    CHECK(s.receive(2) == ReliableSession::Verdict::duplicate);
    CHECK(s.receive(1) == ReliableSession::Verdict::duplicate);
    CHECK_EQ(s.last_received(), 2u);
}

TEST(session_receive_rejects_gaps_and_seq_zero) {
    auto s = make();
    try {
        s.receive(0);
        tether_test::fail("seq 0 accepted", __FILE__, __LINE__);
    } catch (const ProtocolError& e) {
        CHECK_EQ(e.code(), close_code::protocol_error);
    }
    s.receive(1);
    CHECK_THROWS(s.receive(3), ProtocolError);
}

TEST(session_acks_after_n_messages) {
    auto s = make(AckPolicy{3, 1 << 20, milliseconds(200)});
    auto now = ReliableSession::Clock::now();
    CHECK(!s.ack_deadline());
    for (std::uint64_t seq = 1; seq <= 2; ++seq) {
        s.receive(seq);
        s.delivered(1, now);
    }
    REQUIRE(s.ack_deadline().has_value());
    CHECK(*s.ack_deadline() == now + milliseconds(200));
    s.receive(3);
    s.delivered(1, now);
    CHECK(*s.ack_deadline() <= now);
    CHECK_EQ(s.take_ack(), 3u);
    CHECK(!s.ack_pending());
    CHECK(!s.ack_deadline());
}

TEST(session_acks_after_the_byte_threshold) {
    auto s = make(AckPolicy{32, 1000, milliseconds(200)});
    auto now = ReliableSession::Clock::now();
    s.receive(1);
    s.delivered(1000, now);
    CHECK(*s.ack_deadline() <= now);
}

TEST(session_resume_treats_the_hello_as_the_ack) {
    auto s = make();
    s.receive(1);
    s.delivered(1, ReliableSession::Clock::now());
    CHECK(s.ack_pending());
    s.reset_ack_state();
    CHECK(!s.ack_pending());
}
