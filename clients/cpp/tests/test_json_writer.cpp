#include "json_event_writer.hpp"
#include "json_reader.hpp"
#include "test.hpp"

using namespace tether;
using namespace tether::example;

namespace {

struct Captured {
    std::vector<std::string> lines;
    JsonEventWriter writer;
    Captured()
        : writer([this](const std::string& line) { lines.push_back(line); },
                 [] { return std::chrono::system_clock::time_point(std::chrono::milliseconds(1796659500123LL)); }) {}
    tether_test::Json last() const { return tether_test::parse_json(lines.back()); }
};

}  // namespace

TEST(json_writer_stamps_event_and_utc_time) {
    Captured c;
    c.writer.connected(ConnectedEvent{"127.0.0.1:7447", "n", true, {}, {}});
    CHECK_EQ(c.lines.back(), std::string(R"({"event":"connected","ts":"2026-12-07T16:05:00.123Z","endpoint":"127.0.0.1:7447"})"));
}

TEST(json_writer_messages_are_text_or_text_plus_hex) {
    Captured c;
    c.writer.message(Bytes{'h', 0xC3, 0xA9, '"', '\n'});
    auto text = c.last();
    CHECK_EQ(text["data"].text, std::string("h\xC3\xA9\"\n"));
    CHECK(!text.has("hex"));
    c.writer.message(Bytes{'a', 0xFF});
    auto binary = c.last();
    CHECK_EQ(binary["data"].text, std::string("a\xEF\xBF\xBD"));
    CHECK_EQ(binary["hex"].text, std::string("61ff"));
}

TEST(json_writer_escapes_control_characters) {
    CHECK_EQ(json_string(std::string("a\x01\tb\\", 5)), std::string(R"("a\u0001\tb\\")"));
}

TEST(json_writer_disconnected_has_null_code_when_none) {
    Captured c;
    c.writer.disconnected(DisconnectedEvent{"connection-lost", std::nullopt, "reset", true});
    auto lost = c.last();
    CHECK(lost["code"].is_null());
    CHECK_EQ(lost["reason"].text, std::string("connection-lost"));
    c.writer.disconnected(DisconnectedEvent{"closed-by-peer", 1000, "bye", false});
    CHECK_EQ(c.last()["code"].text, std::string("1000"));
}

TEST(json_writer_reconnecting_has_last_error_only_after_a_failed_attempt) {
    Captured c;
    c.writer.reconnecting(ReconnectingEvent{1, std::chrono::milliseconds(250), "127.0.0.1:1", ""});
    auto after_disconnect = c.last();
    CHECK_EQ(after_disconnect["attempt"].text, std::string("1"));
    CHECK_EQ(after_disconnect["delayMs"].text, std::string("250"));
    CHECK(!after_disconnect.has("lastError"));
    c.writer.reconnecting(ReconnectingEvent{2, std::chrono::milliseconds(0), "127.0.0.1:1", "refused"});
    CHECK_EQ(c.last()["lastError"].text, std::string("refused"));
}

TEST(json_writer_session_events) {
    Captured c;
    c.writer.resumed(ResumedEvent{"00112233445566778899aabbccddeeff", 17, 3});
    auto resumed = c.last();
    CHECK_EQ(resumed["serverLastReceived"].text, std::string("17"));
    CHECK_EQ(resumed["resent"].text, std::string("3"));
    SessionLostEvent lost{"00112233445566778899aabbccddeeff", "unknown", {Bytes{1}, Bytes{2}}, std::nullopt, "gone"};
    c.writer.session_lost(lost);
    auto unknown = c.last();
    CHECK_EQ(unknown["unacknowledgedSent"].text, std::string("2"));
    CHECK(unknown["serverReportedLost"].is_null());
    lost.server_reported_lost = 7;
    c.writer.session_lost(lost);
    CHECK_EQ(c.last()["serverReportedLost"].text, std::string("7"));
}

TEST(json_writer_rtt_and_closed) {
    Captured c;
    c.writer.rtt(1.23456);
    CHECK_EQ(c.last()["rttMs"].text, std::string("1.235"));
    c.writer.rtt(2.0);
    CHECK_EQ(c.last()["rttMs"].text, std::string("2"));
    c.writer.closed("closed", "", 0);
    auto closed = c.last();
    CHECK_EQ(closed["unacknowledged"].text, std::string("0"));
    CHECK(!closed.has("description"));
    c.writer.error("oops");
    CHECK_EQ(c.last()["message"].text, std::string("oops"));
}
