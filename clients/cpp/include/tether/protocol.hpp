// Tether wire protocol version 1 (docs/protocol.md): frame types, the codec and frame-level validation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace tether {

using Bytes = std::vector<std::uint8_t>;
using SessionId = std::array<std::uint8_t, 16>;

/// Close codes of protocol section 13.
namespace close_code {
constexpr std::uint16_t normal = 1000;
constexpr std::uint16_t going_away = 1001;
constexpr std::uint16_t protocol_error = 1002;
constexpr std::uint16_t unsupported_version = 1003;
constexpr std::uint16_t frame_too_large = 1004;
constexpr std::uint16_t handshake_timeout = 1005;
constexpr std::uint16_t heartbeat_timeout = 1006;
constexpr std::uint16_t auth_failed = 1007;
constexpr std::uint16_t server_busy = 1008;
constexpr std::uint16_t slow_consumer = 1009;
constexpr std::uint16_t replaced = 1010;
constexpr std::uint16_t internal_error = 1011;
constexpr std::uint16_t rate_limited = 1012;
constexpr std::uint16_t too_many_connections = 1013;
constexpr std::uint16_t auth_expired = 1014;

/// The wire name of a code, e.g. "PROTOCOL_ERROR"; application and unknown codes give "".
const char* name(std::uint16_t code);
/// Whether a client reconnects after receiving this code from the server (the table of section 13).
bool allows_reconnect(std::uint16_t code);
/// The event reason name for a received code, e.g. "heartbeat-timeout" for 1006.
const char* reason_name(std::uint16_t code);
}  // namespace close_code

namespace frame_type {
constexpr std::uint8_t hello = 0x01;
constexpr std::uint8_t welcome = 0x02;
constexpr std::uint8_t data = 0x03;
constexpr std::uint8_t ack = 0x04;
constexpr std::uint8_t ping = 0x05;
constexpr std::uint8_t pong = 0x06;
constexpr std::uint8_t goaway = 0x07;
constexpr std::uint8_t close = 0x08;
}  // namespace frame_type

constexpr std::size_t header_size = 6;
constexpr std::uint32_t handshake_max_body = 8192;
constexpr std::uint32_t min_max_frame_size = 1024;
constexpr std::uint32_t unknown_lost_count = 0xFFFFFFFFu;
constexpr std::uint16_t alternate_endpoint_key = 0x0001;

/// A frame-level or connection-level violation: the receiver closes with `code` (1002 or 1004).
class ProtocolError : public std::runtime_error {
public:
    ProtocolError(std::uint16_t code, const std::string& message) : std::runtime_error(message), code_(code) {}
    std::uint16_t code() const noexcept { return code_; }

private:
    std::uint16_t code_;
};

struct Extension {
    std::uint16_t key = 0;
    Bytes value;
    bool operator==(const Extension& other) const { return key == other.key && value == other.value; }
};

struct HelloFrame {
    bool session = false;
    bool resume = false;
    std::uint8_t min_version = 1;
    std::uint8_t max_version = 1;
    std::uint32_t heartbeat_interval_ms = 0;
    std::uint32_t heartbeat_timeout_ms = 0;
    std::uint32_t max_frame_size = 1048576;
    SessionId session_id{};
    std::uint64_t last_received_seq = 0;
    std::string client_id;
    Bytes token;
    std::vector<Extension> extensions;
};

struct WelcomeFrame {
    bool session = false;
    bool resumed = false;
    std::uint8_t version = 1;
    std::uint32_t heartbeat_interval_ms = 0;
    std::uint32_t heartbeat_timeout_ms = 0;
    std::uint32_t max_frame_size = 0;
    std::uint64_t connection_id = 0;
    SessionId session_id{};
    std::uint64_t last_received_seq = 0;
    std::uint16_t session_reset_reason = 0;
    std::uint32_t lost_count = 0;
    std::string server_id;
    std::vector<Extension> extensions;
};

struct DataFrame {
    std::optional<std::uint64_t> seq;
    std::optional<std::uint64_t> ack;
    Bytes payload;
};

struct AckFrame {
    std::uint64_t ack = 0;
};

struct PingFrame {
    std::uint64_t value = 0;
};

struct PongFrame {
    std::uint64_t value = 0;
};

struct GoAwayFrame {
    std::uint32_t retry_after_ms = 0;
    std::uint32_t drain_ms = 0;
    std::string reason;
    std::vector<Extension> extensions;
};

struct CloseFrame {
    std::uint16_t code = close_code::normal;
    std::uint32_t retry_after_ms = 0;
    std::string reason;
    std::vector<Extension> extensions;
};

/// A frame of type 0x40-0x7F, whose meaning belongs to an extension this client does not know.
struct ExtensionFrame {
    std::uint8_t type = 0x40;
    std::uint8_t flags = 0;
    Bytes body;
};

using Frame = std::variant<HelloFrame, WelcomeFrame, DataFrame, AckFrame, PingFrame, PongFrame, GoAwayFrame, CloseFrame,
                           ExtensionFrame>;

struct FrameHeader {
    std::uint8_t type = 0;
    std::uint8_t flags = 0;
    std::uint32_t length = 0;
};

/// Reads the 6-byte header at `bytes`.
FrameHeader parse_header(const std::uint8_t* bytes);

/// The checks of section 4.6 step 2 that need only the header: reserved type, body above `max_body`
/// (FRAME_TOO_LARGE), reserved flag bits, fixed-size bodies of the wrong size. Throws ProtocolError.
void check_header(const FrameHeader& header, std::uint32_t max_body);

/// Decodes a body whose header passed check_header. Throws ProtocolError (always PROTOCOL_ERROR).
Frame decode_body(const FrameHeader& header, const std::uint8_t* body, std::size_t size);

/// Decodes one whole frame (header and body) received under the limit `max_body`.
Frame decode_frame(const Bytes& frame, std::uint32_t max_body);

/// Encodes a frame, header included.
Bytes encode(const Frame& frame);

/// Appends the frame's encoding to `out`.
void encode_into(const Frame& frame, Bytes& out);

/// The header type byte and flags byte a frame is encoded with.
std::uint8_t type_of(const Frame& frame);
std::uint8_t flags_of(const Frame& frame);

/// True when the bytes are well-formed UTF-8 (RFC 3629: no overlongs, surrogates or values above U+10FFFF).
bool is_valid_utf8(const std::uint8_t* data, std::size_t size);
inline bool is_valid_utf8(const std::string& text) {
    return is_valid_utf8(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

/// The bytes as text, each invalid sequence replaced by U+FFFD.
std::string to_text_lossy(const std::uint8_t* data, std::size_t size);

std::string to_hex(const std::uint8_t* data, std::size_t size);
inline std::string to_hex(const Bytes& bytes) { return to_hex(bytes.data(), bytes.size()); }
/// Parses lowercase or uppercase hex; throws std::invalid_argument on odd length or a non-hex digit.
Bytes from_hex(const std::string& hex);

}  // namespace tether
