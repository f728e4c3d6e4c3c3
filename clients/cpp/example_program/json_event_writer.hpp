// The example's output: one JSON object per line per client event, as `tether connect --json` writes them.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "tether/tether.hpp"

namespace tether::example {

/// The JSON string literal for UTF-8 text (quotes included); invalid UTF-8 becomes U+FFFD.
std::string json_string(const std::string& text);

/// "2026-12-07T16:05:00.123Z".
std::string format_timestamp(std::chrono::system_clock::time_point time);

/// A number with at most three decimals and no trailing zeros, e.g. 0.25 or 12.
std::string format_decimal(double value);

/// Builds one event object: {"event": ..., "ts": ..., fields...}.
class JsonObject {
public:
    JsonObject(const std::string& event, std::chrono::system_clock::time_point time);
    JsonObject& text(const char* key, const std::string& value);
    JsonObject& number(const char* key, long long value);
    JsonObject& unsigned_number(const char* key, unsigned long long value);
    JsonObject& decimal(const char* key, double value);
    JsonObject& null(const char* key);
    std::string str() const { return body_ + "}"; }

private:
    void key(const char* name);
    std::string body_;
};

class JsonEventWriter {
public:
    using Sink = std::function<void(const std::string& line)>;
    using Now = std::function<std::chrono::system_clock::time_point()>;

    explicit JsonEventWriter(Sink sink, Now now = [] { return std::chrono::system_clock::now(); });

    /// Writes each line to stdout and flushes it.
    static Sink stdout_sink();

    void connected(const ConnectedEvent& e);
    void message(const Bytes& payload);
    void disconnected(const DisconnectedEvent& e);
    void reconnecting(const ReconnectingEvent& e);
    void resumed(const ResumedEvent& e);
    void session_lost(const SessionLostEvent& e);
    void rtt(double milliseconds);
    void error(const std::string& message);
    void closed(const std::string& reason, const std::string& description, std::size_t unacknowledged);

private:
    void write(const JsonObject& object);
    JsonObject start(const char* event) const { return JsonObject(event, now_()); }

    std::mutex mutex_;
    Sink sink_;
    Now now_;
};

}  // namespace tether::example
