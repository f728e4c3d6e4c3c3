#include "tether/protocol.hpp"

#include <cstring>

namespace tether {

namespace close_code {

const char* name(std::uint16_t code) {
    switch (code) {
        case normal: return "NORMAL";
        case going_away: return "GOING_AWAY";
        case protocol_error: return "PROTOCOL_ERROR";
        case unsupported_version: return "UNSUPPORTED_VERSION";
        case frame_too_large: return "FRAME_TOO_LARGE";
        case handshake_timeout: return "HANDSHAKE_TIMEOUT";
        case heartbeat_timeout: return "HEARTBEAT_TIMEOUT";
        case auth_failed: return "AUTH_FAILED";
        case server_busy: return "SERVER_BUSY";
        case slow_consumer: return "SLOW_CONSUMER";
        case replaced: return "REPLACED";
        case internal_error: return "INTERNAL_ERROR";
        case rate_limited: return "RATE_LIMITED";
        case too_many_connections: return "TOO_MANY_CONNECTIONS";
        case auth_expired: return "AUTH_EXPIRED";
        default: return "";
    }
}

bool allows_reconnect(std::uint16_t code) {
    switch (code) {
        case normal:
        case unsupported_version:
        case auth_failed:
        case replaced:
        case auth_expired:
            return false;
        default:
            return !(code >= 4500 && code <= 4999);
    }
}

const char* reason_name(std::uint16_t code) {
    switch (code) {
        case heartbeat_timeout: return "heartbeat-timeout";
        case handshake_timeout: return "handshake-timeout";
        case unsupported_version:
        case auth_failed:
        case server_busy:
        case too_many_connections:
        case auth_expired:
            return "handshake-rejected";
        case protocol_error:
        case frame_too_large:
            return "protocol-error";
        case going_away: return "going-away";
        case slow_consumer: return "slow-consumer";
        case replaced: return "replaced";
        case rate_limited: return "rate-limited";
        default: return "closed-by-peer";
    }
}

}  // namespace close_code

namespace {

[[noreturn]] void fail(const std::string& message) { throw ProtocolError(close_code::protocol_error, message); }

/// Reads big-endian fields from a body, failing with PROTOCOL_ERROR on any overrun.
class Reader {
public:
    Reader(const std::uint8_t* data, std::size_t size, const char* frame) : data_(data), size_(size), frame_(frame) {}

    std::size_t remaining() const { return size_ - pos_; }

    void need(std::size_t n, const char* field) const {
        if (remaining() < n) {
            fail(std::string(frame_) + " body too short for " + field);
        }
    }

    std::uint64_t uint(std::size_t n, const char* field) {
        need(n, field);
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < n; ++i) {
            value = (value << 8) | data_[pos_ + i];
        }
        pos_ += n;
        return value;
    }
    std::uint8_t u8(const char* field) { return static_cast<std::uint8_t>(uint(1, field)); }
    std::uint16_t u16(const char* field) { return static_cast<std::uint16_t>(uint(2, field)); }
    std::uint32_t u32(const char* field) { return static_cast<std::uint32_t>(uint(4, field)); }
    std::uint64_t u64(const char* field) { return uint(8, field); }

    Bytes bytes(std::size_t n, const char* field) {
        if (remaining() < n) {
            fail(std::string(frame_) + " " + field + " runs past the end of the body");
        }
        Bytes out(data_ + pos_, data_ + pos_ + n);
        pos_ += n;
        return out;
    }

    std::string text(std::size_t n, const char* field) {
        Bytes raw = bytes(n, field);
        if (!is_valid_utf8(raw.data(), raw.size())) {
            fail(std::string(frame_) + " " + field + " is not valid UTF-8");
        }
        return std::string(raw.begin(), raw.end());
    }

    std::vector<Extension> extensions() {
        std::vector<Extension> items;
        while (remaining() > 0) {
            if (remaining() < 4) {
                fail(std::string(frame_) + " extension item header runs past the end of the body");
            }
            Extension item;
            item.key = u16("extension key");
            auto length = u16("extension length");
            item.value = bytes(length, "extension value");
            items.push_back(std::move(item));
        }
        return items;
    }

    void expect_end() const {
        if (remaining() != 0) {
            fail(std::string(frame_) + " body has " + std::to_string(remaining()) + " unexpected trailing bytes");
        }
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
    const char* frame_;
};

class Writer {
public:
    explicit Writer(Bytes& out) : out_(out) {}
    void uint(std::uint64_t value, std::size_t n) {
        for (std::size_t i = n; i-- > 0;) {
            out_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
        }
    }
    void raw(const std::uint8_t* data, std::size_t n) { out_.insert(out_.end(), data, data + n); }
    void raw(const Bytes& bytes) { raw(bytes.data(), bytes.size()); }
    void text16(const std::string& text) {
        uint(text.size(), 2);
        raw(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    }
    void extensions(const std::vector<Extension>& items) {
        for (const auto& item : items) {
            uint(item.key, 2);
            uint(item.value.size(), 2);
            raw(item.value);
        }
    }

private:
    Bytes& out_;
};

std::uint8_t allowed_flags(std::uint8_t type) {
    switch (type) {
        case frame_type::hello:
        case frame_type::welcome:
        case frame_type::data:
            return 0x03;
        default:
            return 0x00;
    }
}

bool is_extension_type(std::uint8_t type) { return type >= 0x40 && type <= 0x7F; }

std::string hex_byte(std::uint8_t value) {
    static const char digits[] = "0123456789abcdef";
    return std::string("0x") + digits[value >> 4] + digits[value & 15];
}

HelloFrame decode_hello(std::uint8_t flags, Reader& r) {
    HelloFrame f;
    f.session = flags & 0x01;
    f.resume = flags & 0x02;
    if (f.resume && !f.session) {
        fail("HELLO has RESUME without SESSION");
    }
    auto magic = r.bytes(4, "magic");
    if (std::memcmp(magic.data(), "TTHR", 4) != 0) {
        fail("HELLO magic is not \"TTHR\"");
    }
    f.min_version = r.u8("minVersion");
    f.max_version = r.u8("maxVersion");
    if (f.min_version == 0) {
        fail("HELLO minVersion is 0");
    }
    if (f.min_version > f.max_version) {
        fail("HELLO minVersion is greater than maxVersion");
    }
    f.heartbeat_interval_ms = r.u32("heartbeatIntervalMs");
    f.heartbeat_timeout_ms = r.u32("heartbeatTimeoutMs");
    f.max_frame_size = r.u32("maxFrameSize");
    if (f.max_frame_size < min_max_frame_size) {
        fail("HELLO maxFrameSize " + std::to_string(f.max_frame_size) + " is below 1024");
    }
    auto id = r.bytes(16, "sessionId");
    std::memcpy(f.session_id.data(), id.data(), 16);
    f.last_received_seq = r.u64("lastReceivedSeq");
    auto client_id_len = r.u16("clientIdLen");
    if (client_id_len > 256) {
        fail("HELLO clientIdLen " + std::to_string(client_id_len) + " exceeds 256");
    }
    f.client_id = r.text(client_id_len, "clientId");
    auto token_len = r.u16("tokenLen");
    if (token_len > 4096) {
        fail("HELLO tokenLen " + std::to_string(token_len) + " exceeds 4096");
    }
    f.token = r.bytes(token_len, "token");
    f.extensions = r.extensions();
    return f;
}

WelcomeFrame decode_welcome(std::uint8_t flags, Reader& r) {
    WelcomeFrame f;
    f.session = flags & 0x01;
    f.resumed = flags & 0x02;
    if (f.resumed && !f.session) {
        fail("WELCOME has RESUMED without SESSION");
    }
    f.version = r.u8("version");
    if (f.version == 0) {
        fail("WELCOME version is 0");
    }
    f.heartbeat_interval_ms = r.u32("heartbeatIntervalMs");
    f.heartbeat_timeout_ms = r.u32("heartbeatTimeoutMs");
    if (f.heartbeat_interval_ms == 0 || f.heartbeat_timeout_ms == 0) {
        fail("WELCOME heartbeat interval or timeout is 0");
    }
    f.max_frame_size = r.u32("maxFrameSize");
    if (f.max_frame_size < min_max_frame_size) {
        fail("WELCOME maxFrameSize " + std::to_string(f.max_frame_size) + " is below 1024");
    }
    f.connection_id = r.u64("connectionId");
    auto id = r.bytes(16, "sessionId");
    std::memcpy(f.session_id.data(), id.data(), 16);
    f.last_received_seq = r.u64("lastReceivedSeq");
    f.session_reset_reason = r.u16("sessionResetReason");
    if (f.resumed && f.session_reset_reason != 0) {
        fail("WELCOME has RESUMED and a session reset reason");
    }
    f.lost_count = r.u32("lostCount");
    auto server_id_len = r.u16("serverIdLen");
    if (server_id_len > 256) {
        fail("WELCOME serverIdLen " + std::to_string(server_id_len) + " exceeds 256");
    }
    f.server_id = r.text(server_id_len, "serverId");
    f.extensions = r.extensions();
    return f;
}

}  // namespace

FrameHeader parse_header(const std::uint8_t* bytes) {
    FrameHeader h;
    h.type = bytes[0];
    h.flags = bytes[1];
    h.length = (std::uint32_t(bytes[2]) << 24) | (std::uint32_t(bytes[3]) << 16) | (std::uint32_t(bytes[4]) << 8) |
               std::uint32_t(bytes[5]);
    return h;
}

void check_header(const FrameHeader& header, std::uint32_t max_body) {
    bool known = header.type >= frame_type::hello && header.type <= frame_type::close;
    if (!known && !is_extension_type(header.type)) {
        fail("reserved frame type " + hex_byte(header.type));
    }
    if (header.length > max_body) {
        throw ProtocolError(close_code::frame_too_large, "frame body of " + std::to_string(header.length) +
                                                             " bytes exceeds the limit of " +
                                                             std::to_string(max_body));
    }
    if (known && (header.flags & ~allowed_flags(header.type)) != 0) {
        fail("reserved flag bits " + hex_byte(header.flags) + " set on frame type " + hex_byte(header.type));
    }
    bool fixed8 = header.type == frame_type::ack || header.type == frame_type::ping || header.type == frame_type::pong;
    if (fixed8 && header.length != 8) {
        fail("frame type " + hex_byte(header.type) + " body must be exactly 8 bytes, not " +
             std::to_string(header.length));
    }
}

Frame decode_body(const FrameHeader& header, const std::uint8_t* body, std::size_t size) {
    switch (header.type) {
        case frame_type::hello: {
            Reader r(body, size, "HELLO");
            return decode_hello(header.flags, r);
        }
        case frame_type::welcome: {
            Reader r(body, size, "WELCOME");
            return decode_welcome(header.flags, r);
        }
        case frame_type::data: {
            Reader r(body, size, "DATA");
            DataFrame f;
            if (header.flags & 0x01) {
                f.seq = r.u64("seq");
            }
            if (header.flags & 0x02) {
                f.ack = r.u64("ack");
            }
            f.payload = r.bytes(r.remaining(), "payload");
            return f;
        }
        case frame_type::ack: {
            Reader r(body, size, "ACK");
            AckFrame f{r.u64("ack")};
            r.expect_end();
            return f;
        }
        case frame_type::ping: {
            Reader r(body, size, "PING");
            PingFrame f{r.u64("value")};
            r.expect_end();
            return f;
        }
        case frame_type::pong: {
            Reader r(body, size, "PONG");
            PongFrame f{r.u64("value")};
            r.expect_end();
            return f;
        }
        case frame_type::goaway: {
            Reader r(body, size, "GOAWAY");
            GoAwayFrame f;
            f.retry_after_ms = r.u32("retryAfterMs");
            f.drain_ms = r.u32("drainMs");
            auto n = r.u16("reasonLen");
            f.reason = r.text(n, "reason");
            f.extensions = r.extensions();
            return f;
        }
        case frame_type::close: {
            Reader r(body, size, "CLOSE");
            CloseFrame f;
            f.code = r.u16("code");
            f.retry_after_ms = r.u32("retryAfterMs");
            auto n = r.u16("reasonLen");
            f.reason = r.text(n, "reason");
            f.extensions = r.extensions();
            return f;
        }
        default:
            if (is_extension_type(header.type)) {
                return ExtensionFrame{header.type, header.flags, Bytes(body, body + size)};
            }
            fail("reserved frame type " + hex_byte(header.type));
    }
}

Frame decode_frame(const Bytes& frame, std::uint32_t max_body) {
    if (frame.size() < header_size) {
        fail("frame shorter than its 6-byte header");
    }
    auto header = parse_header(frame.data());
    check_header(header, max_body);
    if (frame.size() - header_size != header.length) {
        fail("frame holds " + std::to_string(frame.size() - header_size) + " body bytes, header says " +
             std::to_string(header.length));
    }
    return decode_body(header, frame.data() + header_size, header.length);
}

std::uint8_t type_of(const Frame& frame) {
    switch (frame.index()) {
        case 0: return frame_type::hello;
        case 1: return frame_type::welcome;
        case 2: return frame_type::data;
        case 3: return frame_type::ack;
        case 4: return frame_type::ping;
        case 5: return frame_type::pong;
        case 6: return frame_type::goaway;
        case 7: return frame_type::close;
        default: return std::get<ExtensionFrame>(frame).type;
    }
}

std::uint8_t flags_of(const Frame& frame) {
    if (auto* h = std::get_if<HelloFrame>(&frame)) {
        return static_cast<std::uint8_t>((h->session ? 1 : 0) | (h->resume ? 2 : 0));
    }
    if (auto* w = std::get_if<WelcomeFrame>(&frame)) {
        return static_cast<std::uint8_t>((w->session ? 1 : 0) | (w->resumed ? 2 : 0));
    }
    if (auto* d = std::get_if<DataFrame>(&frame)) {
        return static_cast<std::uint8_t>((d->seq ? 1 : 0) | (d->ack ? 2 : 0));
    }
    if (auto* e = std::get_if<ExtensionFrame>(&frame)) {
        return e->flags;
    }
    return 0;
}

void encode_into(const Frame& frame, Bytes& out) {
    std::size_t start = out.size();
    Writer w(out);
    w.uint(type_of(frame), 1);
    w.uint(flags_of(frame), 1);
    w.uint(0, 4);
    if (auto* h = std::get_if<HelloFrame>(&frame)) {
        w.raw(reinterpret_cast<const std::uint8_t*>("TTHR"), 4);
        w.uint(h->min_version, 1);
        w.uint(h->max_version, 1);
        w.uint(h->heartbeat_interval_ms, 4);
        w.uint(h->heartbeat_timeout_ms, 4);
        w.uint(h->max_frame_size, 4);
        w.raw(h->session_id.data(), 16);
        w.uint(h->last_received_seq, 8);
        w.text16(h->client_id);
        w.uint(h->token.size(), 2);
        w.raw(h->token);
        w.extensions(h->extensions);
    } else if (auto* wf = std::get_if<WelcomeFrame>(&frame)) {
        w.uint(wf->version, 1);
        w.uint(wf->heartbeat_interval_ms, 4);
        w.uint(wf->heartbeat_timeout_ms, 4);
        w.uint(wf->max_frame_size, 4);
        w.uint(wf->connection_id, 8);
        w.raw(wf->session_id.data(), 16);
        w.uint(wf->last_received_seq, 8);
        w.uint(wf->session_reset_reason, 2);
        w.uint(wf->lost_count, 4);
        w.text16(wf->server_id);
        w.extensions(wf->extensions);
    } else if (auto* d = std::get_if<DataFrame>(&frame)) {
        if (d->seq) {
            w.uint(*d->seq, 8);
        }
        if (d->ack) {
            w.uint(*d->ack, 8);
        }
        w.raw(d->payload);
    } else if (auto* a = std::get_if<AckFrame>(&frame)) {
        w.uint(a->ack, 8);
    } else if (auto* p = std::get_if<PingFrame>(&frame)) {
        w.uint(p->value, 8);
    } else if (auto* q = std::get_if<PongFrame>(&frame)) {
        w.uint(q->value, 8);
    } else if (auto* g = std::get_if<GoAwayFrame>(&frame)) {
        w.uint(g->retry_after_ms, 4);
        w.uint(g->drain_ms, 4);
        w.text16(g->reason);
        w.extensions(g->extensions);
    } else if (auto* c = std::get_if<CloseFrame>(&frame)) {
        w.uint(c->code, 2);
        w.uint(c->retry_after_ms, 4);
        w.text16(c->reason);
        w.extensions(c->extensions);
    } else {
        w.raw(std::get<ExtensionFrame>(frame).body);
    }
    std::uint32_t length = static_cast<std::uint32_t>(out.size() - start - header_size);
    for (int i = 0; i < 4; ++i) {
        out[start + 2 + i] = static_cast<std::uint8_t>(length >> (8 * (3 - i)));
    }
}

Bytes encode(const Frame& frame) {
    Bytes out;
    encode_into(frame, out);
    return out;
}

namespace {

/// Length of the well-formed sequence at data[0], or 0 when invalid; `bad` is the maximal invalid prefix to skip.
std::size_t utf8_sequence(const std::uint8_t* data, std::size_t size, std::size_t& bad) {
    std::uint8_t b0 = data[0];
    bad = 1;
    if (b0 < 0x80) {
        return 1;
    }
    std::size_t n;
    std::uint8_t lo = 0x80, hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        n = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        n = 3;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        n = 4;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    for (std::size_t i = 1; i < n; ++i) {
        if (i >= size) {
            return 0;
        }
        std::uint8_t b = data[i];
        std::uint8_t l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
        if (b < l || b > h) {
            return 0;
        }
        bad = i + 1;
    }
    return n;
}

}  // namespace

bool is_valid_utf8(const std::uint8_t* data, std::size_t size) {
    std::size_t i = 0;
    while (i < size) {
        std::size_t bad;
        std::size_t n = utf8_sequence(data + i, size - i, bad);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

std::string to_text_lossy(const std::uint8_t* data, std::size_t size) {
    std::string out;
    out.reserve(size);
    std::size_t i = 0;
    while (i < size) {
        std::size_t bad;
        std::size_t n = utf8_sequence(data + i, size - i, bad);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            i += bad;
        } else {
            out.append(reinterpret_cast<const char*>(data + i), n);
            i += n;
        }
    }
    return out;
}

std::string to_hex(const std::uint8_t* data, std::size_t size) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 15];
    }
    return out;
}

Bytes from_hex(const std::string& hex) {
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        throw std::invalid_argument(std::string("not a hex digit: '") + c + "'");
    };
    if (hex.size() % 2 != 0) {
        throw std::invalid_argument("hex string has an odd length");
    }
    Bytes out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = static_cast<std::uint8_t>(digit(hex[2 * i]) * 16 + digit(hex[2 * i + 1]));
    }
    return out;
}

}  // namespace tether
