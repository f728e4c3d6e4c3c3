// A tiny JSON reader for the test vectors: enough of RFC 8259 for docs/protocol-vectors.json.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tether_test {

struct Json {
    enum class Kind { null, boolean, number, string, array, object } kind = Kind::null;
    bool boolean = false;
    std::string text;  // a string's value, or a number's literal text (exact for u64)
    std::vector<Json> items;
    std::vector<std::pair<std::string, Json>> members;

    bool has(const std::string& key) const;
    /// The member `key`; throws std::out_of_range when absent.
    const Json& operator[](const std::string& key) const;
    std::uint64_t as_u64() const;
    bool is_null() const { return kind == Kind::null; }
};

/// Parses a whole document; throws std::runtime_error with the offset on a syntax error.
Json parse_json(const std::string& document);

}  // namespace tether_test
