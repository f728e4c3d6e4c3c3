// Every vector of docs/protocol-vectors.json: valid ones decode to their fields and re-encode to their hex; invalid
// ones are rejected with the named error.
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "json_reader.hpp"
#include "test.hpp"
#include "tether/protocol.hpp"

using namespace tether;
using tether_test::Json;

namespace {

using Fields = std::map<std::string, std::string>;

std::string extensions_text(const std::vector<Extension>& items) {
    std::string out;
    for (const auto& item : items) {
        out += std::to_string(item.key) + ":" + to_hex(item.value) + ";";
    }
    return out;
}

std::string optional_text(const std::optional<std::uint64_t>& value) {
    return value ? std::to_string(*value) : "null";
}

/// The decoded frame in the vectors' vocabulary: type name, flags and each field as text.
std::pair<std::string, Fields> describe(const Frame& frame) {
    Fields f;
    std::string type;
    if (auto* h = std::get_if<HelloFrame>(&frame)) {
        type = "HELLO";
        f = {{"minVersion", std::to_string(h->min_version)},
             {"maxVersion", std::to_string(h->max_version)},
             {"heartbeatIntervalMs", std::to_string(h->heartbeat_interval_ms)},
             {"heartbeatTimeoutMs", std::to_string(h->heartbeat_timeout_ms)},
             {"maxFrameSize", std::to_string(h->max_frame_size)},
             {"sessionId", to_hex(h->session_id.data(), 16)},
             {"lastReceivedSeq", std::to_string(h->last_received_seq)},
             {"clientId", h->client_id},
             {"token", to_hex(h->token)},
             {"extensions", extensions_text(h->extensions)}};
    } else if (auto* w = std::get_if<WelcomeFrame>(&frame)) {
        type = "WELCOME";
        f = {{"version", std::to_string(w->version)},
             {"heartbeatIntervalMs", std::to_string(w->heartbeat_interval_ms)},
             {"heartbeatTimeoutMs", std::to_string(w->heartbeat_timeout_ms)},
             {"maxFrameSize", std::to_string(w->max_frame_size)},
             {"connectionId", std::to_string(w->connection_id)},
             {"sessionId", to_hex(w->session_id.data(), 16)},
             {"lastReceivedSeq", std::to_string(w->last_received_seq)},
             {"sessionResetReason", std::to_string(w->session_reset_reason)},
             {"lostCount", std::to_string(w->lost_count)},
             {"serverId", w->server_id},
             {"extensions", extensions_text(w->extensions)}};
    } else if (auto* d = std::get_if<DataFrame>(&frame)) {
        type = "DATA";
        f = {{"seq", optional_text(d->seq)}, {"ack", optional_text(d->ack)}, {"payload", to_hex(d->payload)}};
    } else if (auto* a = std::get_if<AckFrame>(&frame)) {
        type = "ACK";
        f = {{"ack", std::to_string(a->ack)}};
    } else if (auto* p = std::get_if<PingFrame>(&frame)) {
        type = "PING";
        f = {{"value", std::to_string(p->value)}};
    } else if (auto* q = std::get_if<PongFrame>(&frame)) {
        type = "PONG";
        f = {{"value", std::to_string(q->value)}};
    } else if (auto* g = std::get_if<GoAwayFrame>(&frame)) {
        type = "GOAWAY";
        f = {{"retryAfterMs", std::to_string(g->retry_after_ms)},
             {"drainMs", std::to_string(g->drain_ms)},
             {"reason", g->reason},
             {"extensions", extensions_text(g->extensions)}};
    } else if (auto* c = std::get_if<CloseFrame>(&frame)) {
        type = "CLOSE";
        f = {{"code", std::to_string(c->code)},
             {"retryAfterMs", std::to_string(c->retry_after_ms)},
             {"reason", c->reason},
             {"extensions", extensions_text(c->extensions)}};
    } else {
        auto& e = std::get<ExtensionFrame>(frame);
        type = "EXTENSION";
        f = {{"typeCode", std::to_string(e.type)}, {"body", to_hex(e.body)}};
    }
    return {type, f};
}

std::string json_text(const Json& value) {
    switch (value.kind) {
        case Json::Kind::null:
            return "null";
        case Json::Kind::array: {
            std::string out;
            for (const auto& item : value.items) {
                out += item["key"].text + ":" + item["value"].text + ";";
            }
            return out;
        }
        default:
            return value.text;
    }
}

Json load_vectors() {
    // TETHER_VECTORS names another copy of the file, e.g. one being edited elsewhere.
    const char* override_path = std::getenv("TETHER_VECTORS");
    std::string path = override_path != nullptr && *override_path != 0 ? override_path : TETHER_VECTORS_FILE;
    std::ifstream file(path);
    if (!file) {
        throw std::runtime_error("cannot read " + path);
    }
    std::stringstream text;
    text << file.rdbuf();
    return tether_test::parse_json(text.str());
}

void check_valid(const Json& vector) {
    Bytes wire = from_hex(vector["hex"].text);
    Frame frame = decode_frame(wire, 1048576);
    auto [type, fields] = describe(frame);
    const Json& expected = vector["frame"];
    CHECK_EQ(type, expected["type"].text);
    CHECK_EQ(std::to_string(flags_of(frame)), expected["flags"].text);
    const Json& want = expected["fields"];
    CHECK_EQ(fields.size(), want.members.size());
    for (const auto& [name, value] : want.members) {
        auto found = fields.find(name);
        if (found == fields.end()) {
            tether_test::fail("decoded frame has no field " + name, __FILE__, __LINE__);
            continue;
        }
        if (found->second != json_text(value)) {
            tether_test::fail(name + ": " + tether_test::describe(found->second, json_text(value)), __FILE__, __LINE__);
        }
    }
    CHECK_EQ(to_hex(encode(frame)), vector["hex"].text);
}

void check_invalid(const Json& vector) {
    Bytes wire = from_hex(vector["hex"].text);
    auto limit = static_cast<std::uint32_t>(vector["maxFrameSize"].as_u64());
    std::uint16_t expected = vector["error"].text == "FRAME_TOO_LARGE" ? close_code::frame_too_large : close_code::protocol_error;
    try {
        decode_frame(wire, limit);
        tether_test::fail("accepted, expected " + vector["error"].text, __FILE__, __LINE__);
    } catch (const ProtocolError& e) {
        if (e.code() != expected) {
            tether_test::fail(std::string("rejected with ") + close_code::name(e.code()) + " (" + e.what() +
                                  "), expected " + vector["error"].text,
                              __FILE__, __LINE__);
        }
    }
}

}  // namespace

TEST(vectors_are_loaded) {
    Json vectors = load_vectors();
    REQUIRE(vectors["valid"].items.size() > 0);
    REQUIRE(vectors["invalid"].items.size() > 0);
    for (const auto& vector : vectors["valid"].items) {
        tether_test::add_case("vector valid " + vector["name"].text, [vector] { check_valid(vector); });
    }
    for (const auto& vector : vectors["invalid"].items) {
        tether_test::add_case("vector invalid " + vector["name"].text, [vector] { check_invalid(vector); });
    }
}

TEST(header_limit_is_checked_before_the_body_arrives) {
    // A 6-byte header announcing 4 GiB: rejected from the header alone, without a body.
    FrameHeader header = parse_header(from_hex("0300ffffffff").data());
    try {
        check_header(header, 1048576);
        tether_test::fail("accepted", __FILE__, __LINE__);
    } catch (const ProtocolError& e) {
        CHECK_EQ(e.code(), close_code::frame_too_large);
    }
}

TEST(close_with_invalid_utf8_reason_is_malformed) {
    CHECK_THROWS(decode_frame(from_hex("08000000000903e80000000000" "01ff"), 1048576), ProtocolError);
}

TEST(utf8_validation_follows_rfc_3629) {
    auto valid = [](const std::string& hex) {
        Bytes b = from_hex(hex);
        return is_valid_utf8(b.data(), b.size());
    };
    CHECK(valid("68c3a96c6c6f20e29c93"));
    CHECK(valid("f09f9880"));
    CHECK(!valid("c328"));
    CHECK(!valid("c0af"));      // overlong
    CHECK(!valid("eda080"));    // surrogate
    CHECK(!valid("f4908080"));  // above U+10FFFF
    CHECK(!valid("e29c"));      // truncated
    Bytes mixed = from_hex("61ff62e29c");
    CHECK_EQ(to_text_lossy(mixed.data(), mixed.size()), std::string("a\xEF\xBF\xBD" "b\xEF\xBF\xBD"));
}
