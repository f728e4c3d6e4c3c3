#include "json_reader.hpp"

#include <stdexcept>

namespace tether_test {

bool Json::has(const std::string& key) const {
    for (const auto& member : members) {
        if (member.first == key) {
            return true;
        }
    }
    return false;
}

const Json& Json::operator[](const std::string& key) const {
    for (const auto& member : members) {
        if (member.first == key) {
            return member.second;
        }
    }
    throw std::out_of_range("no JSON member '" + key + "'");
}

std::uint64_t Json::as_u64() const {
    if ((kind != Kind::number && kind != Kind::string) || text.empty() ||
        text.find_first_not_of("0123456789") != std::string::npos) {
        throw std::runtime_error("not an unsigned integer: '" + text + "'");
    }
    return std::stoull(text);
}

namespace {

class Parser {
public:
    explicit Parser(const std::string& s) : s_(s) {}

    Json document() {
        Json value = parse();
        skip();
        if (pos_ != s_.size()) {
            error("trailing characters");
        }
        return value;
    }

private:
    [[noreturn]] void error(const std::string& what) const {
        throw std::runtime_error("JSON: " + what + " at offset " + std::to_string(pos_));
    }
    void skip() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) {
            ++pos_;
        }
    }
    bool eat(char c) {
        skip();
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!eat(c)) {
            error(std::string("expected '") + c + "'");
        }
    }
    bool word(const char* w) {
        std::string text(w);
        if (s_.compare(pos_, text.size(), text) == 0) {
            pos_ += text.size();
            return true;
        }
        return false;
    }

    Json parse() {
        skip();
        if (pos_ >= s_.size()) {
            error("unexpected end");
        }
        Json value;
        char c = s_[pos_];
        if (c == '{') {
            ++pos_;
            value.kind = Json::Kind::object;
            if (eat('}')) {
                return value;
            }
            do {
                skip();
                std::string key = string();
                expect(':');
                value.members.emplace_back(key, parse());
            } while (eat(','));
            expect('}');
        } else if (c == '[') {
            ++pos_;
            value.kind = Json::Kind::array;
            if (eat(']')) {
                return value;
            }
            do {
                value.items.push_back(parse());
            } while (eat(','));
            expect(']');
        } else if (c == '"') {
            value.kind = Json::Kind::string;
            value.text = string();
        } else if (word("true")) {
            value.kind = Json::Kind::boolean;
            value.boolean = true;
        } else if (word("false")) {
            value.kind = Json::Kind::boolean;
        } else if (word("null")) {
            value.kind = Json::Kind::null;
        } else {
            std::size_t start = pos_;
            while (pos_ < s_.size() && std::string("+-0123456789.eE").find(s_[pos_]) != std::string::npos) {
                ++pos_;
            }
            if (start == pos_) {
                error("unexpected character");
            }
            value.kind = Json::Kind::number;
            value.text = s_.substr(start, pos_ - start);
        }
        return value;
    }

    void utf8(std::string& out, unsigned code) {
        if (code < 0x80) {
            out += static_cast<char>(code);
        } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (code >> 18));
            out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        }
    }

    unsigned hex4() {
        if (pos_ + 4 > s_.size()) {
            error("short \\u escape");
        }
        unsigned value = static_cast<unsigned>(std::stoul(s_.substr(pos_, 4), nullptr, 16));
        pos_ += 4;
        return value;
    }

    std::string string() {
        if (pos_ >= s_.size() || s_[pos_] != '"') {
            error("expected a string");
        }
        ++pos_;
        std::string out;
        while (true) {
            if (pos_ >= s_.size()) {
                error("unterminated string");
            }
            char c = s_[pos_++];
            if (c == '"') {
                return out;
            }
            if (c != '\\') {
                out += c;
                continue;
            }
            char e = s_[pos_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    unsigned code = hex4();
                    if (code >= 0xD800 && code <= 0xDBFF && s_.compare(pos_, 2, "\\u") == 0) {
                        pos_ += 2;
                        unsigned low = hex4();
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    }
                    utf8(out, code);
                    break;
                }
                default:
                    error("bad escape");
            }
        }
    }

    const std::string& s_;
    std::size_t pos_ = 0;
};

}  // namespace

Json parse_json(const std::string& document) { return Parser(document).document(); }

}  // namespace tether_test
