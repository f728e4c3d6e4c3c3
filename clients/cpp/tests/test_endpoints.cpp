#include "test.hpp"
#include "tether/endpoints.hpp"

using namespace tether;

TEST(endpoints_parse_ipv4_ipv6_and_names) {
    CHECK_EQ(parse_endpoint("127.0.0.1:7447").to_string(), std::string("127.0.0.1:7447"));
    auto v6 = parse_endpoint("[::1]:7447");
    CHECK_EQ(v6.host, std::string("::1"));
    CHECK_EQ(v6.port, 7447);
    CHECK_EQ(v6.to_string(), std::string("[::1]:7447"));
    CHECK_EQ(parse_endpoint("localhost:1").host, std::string("localhost"));
}

TEST(endpoints_reject_bad_text) {
    CHECK_THROWS(parse_endpoint("localhost"), std::invalid_argument);
    CHECK_THROWS(parse_endpoint("::1:7447"), std::invalid_argument);
    CHECK_THROWS(parse_endpoint("host:0"), std::invalid_argument);
    CHECK_THROWS(parse_endpoint("host:65536"), std::invalid_argument);
    CHECK_THROWS(parse_endpoint("host:12ab"), std::invalid_argument);
    CHECK_THROWS(parse_endpoint(":7447"), std::invalid_argument);
    CHECK_THROWS(parse_endpoint("[::1]7447"), std::invalid_argument);
}

TEST(failover_starts_from_the_first_after_a_connection) {
    EndpointSelector s({parse_endpoint("a:1"), parse_endpoint("b:2"), parse_endpoint("c:3")}, EndpointSelection::failover);
    CHECK_EQ(s.next().host, std::string("a"));
    CHECK_EQ(s.next().host, std::string("b"));  // a failed
    s.on_connected();
    CHECK_EQ(s.next().host, std::string("a"));
    CHECK_EQ(s.next().host, std::string("b"));
    CHECK_EQ(s.next().host, std::string("c"));
    CHECK_EQ(s.next().host, std::string("a"));  // wraps around
}

TEST(round_robin_rotates_on_every_attempt) {
    EndpointSelector s({parse_endpoint("a:1"), parse_endpoint("b:2")}, EndpointSelection::round_robin);
    CHECK_EQ(s.next().host, std::string("a"));
    s.on_connected();
    CHECK_EQ(s.next().host, std::string("b"));
    s.on_connected();
    CHECK_EQ(s.next().host, std::string("a"));
}

TEST(alternates_are_tried_once_each_then_forgotten) {
    EndpointSelector s({parse_endpoint("a:1")}, EndpointSelection::failover);
    CHECK_EQ(s.next().host, std::string("a"));
    s.set_alternates({parse_endpoint("x:1"), parse_endpoint("y:1")});
    CHECK_EQ(s.next().host, std::string("x"));
    CHECK_EQ(s.next().host, std::string("y"));
    CHECK_EQ(s.next().host, std::string("a"));
    s.set_alternates({parse_endpoint("z:1")});
    s.on_connected();
    CHECK(!s.has_alternates());
    CHECK_EQ(s.next().host, std::string("a"));
}
