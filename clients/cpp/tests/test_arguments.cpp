#include "arguments.hpp"
#include "test.hpp"

using namespace tether;
using namespace tether::example;
using namespace std::chrono;

TEST(durations_accept_the_documented_forms) {
    CHECK_EQ(parse_duration("250ms", "--x", false).count(), 250);
    CHECK_EQ(parse_duration("30s", "--x", false).count(), 30000);
    CHECK_EQ(parse_duration("1.5s", "--x", false).count(), 1500);
    CHECK_EQ(parse_duration("2m", "--x", false).count(), 120000);
    CHECK_EQ(parse_duration("1h", "--x", false).count(), 3600000);
    CHECK_EQ(parse_duration("3", "--x", false).count(), 3000);
    CHECK_EQ(parse_duration("0", "--x", true).count(), 0);
    CHECK_THROWS(parse_duration("0", "--x", false), UsageError);
    CHECK_THROWS(parse_duration("5 s", "--x", false), UsageError);
    CHECK_THROWS(parse_duration("fast", "--x", false), UsageError);
    CHECK_THROWS(parse_duration("1d", "--x", false), UsageError);
}

TEST(arguments_map_to_client_options) {
    auto a = parse_arguments({"--json", "--client-id", "dev-1", "--token", "t", "--heartbeat", "1s", "--timeout", "3s",
                              "--no-session", "--max-attempts", "4", "--backoff-base", "100ms", "--backoff-max", "2s",
                              "--stable-after", "5s", "--connect-timeout", "2s", "--endpoint-selection", "round-robin",
                              "--eof-delay", "1s", "--close-timeout=3s", "127.0.0.1:1", "[::1]:2"});
    CHECK_EQ(a.client.client_id, std::string("dev-1"));
    CHECK_EQ(a.client.token, std::string("t"));
    CHECK_EQ(a.client.heartbeat_interval.count(), 1000);
    CHECK_EQ(a.client.heartbeat_timeout.count(), 3000);
    CHECK(!a.client.session.enabled);
    CHECK_EQ(a.client.reconnect.max_attempts, 4);
    CHECK_EQ(a.client.reconnect.base_delay.count(), 100);
    CHECK_EQ(a.client.reconnect.max_delay.count(), 2000);
    CHECK_EQ(a.client.reconnect.stable_after.count(), 5000);
    CHECK_EQ(a.client.connect_timeout.count(), 2000);
    CHECK(a.client.endpoint_selection == EndpointSelection::round_robin);
    CHECK_EQ(a.eof_delay.count(), 1000);
    CHECK_EQ(a.close_timeout.count(), 3000);
    CHECK_EQ(a.client.endpoints.size(), 2u);
    CHECK(!a.client.tls.enabled);
}

TEST(arguments_one_backoff_bound_moves_the_other) {
    auto a = parse_arguments({"--backoff-max", "100ms", "h:1"});
    CHECK_EQ(a.client.reconnect.base_delay.count(), 100);
    CHECK_EQ(a.client.reconnect.max_delay.count(), 100);
    auto b = parse_arguments({"--backoff-base", "10s", "h:1"});
    CHECK_EQ(b.client.reconnect.max_delay.count(), 10000);
}

TEST(arguments_tls_options_imply_tls) {
    CHECK(parse_arguments({"--ca", "ca.pem", "h:1"}).client.tls.enabled);
    CHECK(parse_arguments({"--insecure", "h:1"}).client.tls.enabled);
    CHECK_THROWS(parse_arguments({"--insecure", "--ca", "x", "h:1"}), UsageError);
}

TEST(arguments_reject_mistakes_with_one_clear_line) {
    CHECK_THROWS(parse_arguments({"--bogus", "h:1"}), UsageError);
    CHECK_THROWS(parse_arguments({}), UsageError);
    CHECK_THROWS(parse_arguments({"h"}), UsageError);
    CHECK_THROWS(parse_arguments({"--max-attempts", "0", "h:1"}), UsageError);
    CHECK_THROWS(parse_arguments({"--endpoint-selection", "random", "h:1"}), UsageError);
    CHECK_THROWS(parse_arguments({"--heartbeat", "5s", "--timeout", "1s", "h:1"}), UsageError);
    CHECK_THROWS(parse_arguments({"--backoff-base", "5s", "--backoff-max", "1s", "h:1"}), UsageError);
    CHECK_THROWS(parse_arguments({"h:1", "--client-id"}), UsageError);
    try {
        parse_arguments({"--bogus", "h:1"});
    } catch (const UsageError& e) {
        CHECK_EQ(std::string(e.what()), std::string("unrecognized option '--bogus'"));
    }
}
