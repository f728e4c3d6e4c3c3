#include "json_event_writer.hpp"

#include <cstdio>
#include <ctime>

namespace tether::example {

std::string json_string(const std::string& raw) {
    std::string text = is_valid_utf8(raw) ? raw : to_text_lossy(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20 || c == 0x7F) {
                    char buffer[8];
                    std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
                    out += buffer;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

std::string format_timestamp(std::chrono::system_clock::time_point time) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
    std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms % 1000));
    return buffer;
}

std::string format_decimal(double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.3f", value);
    std::string text = buffer;
    while (!text.empty() && text.back() == '0') {
        text.pop_back();
    }
    if (!text.empty() && text.back() == '.') {
        text.pop_back();
    }
    return text == "-0" ? "0" : text;
}

JsonObject::JsonObject(const std::string& event, std::chrono::system_clock::time_point time) {
    body_ = "{\"event\":" + json_string(event) + ",\"ts\":" + json_string(format_timestamp(time));
}

void JsonObject::key(const char* name) { body_ += "," + json_string(name) + ":"; }

JsonObject& JsonObject::text(const char* name, const std::string& value) {
    key(name);
    body_ += json_string(value);
    return *this;
}

JsonObject& JsonObject::number(const char* name, long long value) {
    key(name);
    body_ += std::to_string(value);
    return *this;
}

JsonObject& JsonObject::unsigned_number(const char* name, unsigned long long value) {
    key(name);
    body_ += std::to_string(value);
    return *this;
}

JsonObject& JsonObject::decimal(const char* name, double value) {
    key(name);
    body_ += format_decimal(value);
    return *this;
}

JsonObject& JsonObject::null(const char* name) {
    key(name);
    body_ += "null";
    return *this;
}

JsonEventWriter::JsonEventWriter(Sink sink, Now now) : sink_(std::move(sink)), now_(std::move(now)) {}

JsonEventWriter::Sink JsonEventWriter::stdout_sink() {
    return [](const std::string& line) {
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
    };
}

void JsonEventWriter::write(const JsonObject& object) {
    std::lock_guard<std::mutex> lock(mutex_);
    sink_(object.str());
}

void JsonEventWriter::connected(const ConnectedEvent& e) { write(start("connected").text("endpoint", e.endpoint)); }

void JsonEventWriter::message(const Bytes& payload) {
    auto object = start("message");
    object.text("data", to_text_lossy(payload.data(), payload.size()));
    if (!is_valid_utf8(payload.data(), payload.size())) {
        object.text("hex", to_hex(payload));
    }
    write(object);
}

void JsonEventWriter::disconnected(const DisconnectedEvent& e) {
    auto object = start("disconnected");
    object.text("reason", e.reason);
    if (e.code) {
        object.number("code", *e.code);
    } else {
        object.null("code");
    }
    write(object.text("description", e.description));
}

void JsonEventWriter::reconnecting(const ReconnectingEvent& e) {
    auto object = start("reconnecting");
    object.number("attempt", e.attempt).number("delayMs", e.delay.count()).text("endpoint", e.endpoint);
    if (!e.last_error.empty()) {
        object.text("lastError", e.last_error);
    }
    write(object);
}

void JsonEventWriter::resumed(const ResumedEvent& e) {
    write(start("resumed")
              .text("sessionId", e.session_id)
              .unsigned_number("serverLastReceived", e.server_last_received)
              .unsigned_number("resent", e.resent));
}

void JsonEventWriter::session_lost(const SessionLostEvent& e) {
    auto object = start("session-lost");
    object.text("sessionId", e.session_id).text("reason", e.reason).unsigned_number("unacknowledgedSent", e.unacknowledged.size());
    if (e.server_reported_lost) {
        object.unsigned_number("serverReportedLost", *e.server_reported_lost);
    } else {
        object.null("serverReportedLost");
    }
    write(object.text("description", e.description));
}

void JsonEventWriter::rtt(double milliseconds) { write(start("rtt").decimal("rttMs", milliseconds)); }

void JsonEventWriter::error(const std::string& message) { write(start("error").text("message", message)); }

void JsonEventWriter::closed(const std::string& reason, const std::string& description, std::size_t unacknowledged) {
    auto object = start("closed");
    object.text("reason", reason);
    if (!description.empty()) {
        object.text("description", description);
    }
    write(object.unsigned_number("unacknowledged", unacknowledged));
}

}  // namespace tether::example
