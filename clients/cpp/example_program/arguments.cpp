#include "arguments.hpp"

#include <cctype>
#include <cmath>
#include <optional>
#include <cstdlib>

namespace tether::example {

std::chrono::milliseconds parse_duration(const std::string& text, const std::string& option, bool allow_zero) {
    auto bad = [&] {
        return UsageError(option + ": '" + text + "' is not a duration (e.g. 250ms, 30s, 1.5s, 2m, 1h)");
    };
    std::size_t end = 0;
    while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) {
        ++end;
    }
    std::string number = text.substr(0, end);
    std::string unit = text.substr(end);
    if (number.empty() || number.find('.') != number.rfind('.') || number == ".") {
        throw bad();
    }
    double value = std::strtod(number.c_str(), nullptr);
    double scale;
    if (unit == "ms") {
        scale = 1;
    } else if (unit.empty() || unit == "s") {
        scale = 1000;
    } else if (unit == "m") {
        scale = 60000;
    } else if (unit == "h") {
        scale = 3600000;
    } else {
        throw bad();
    }
    double ms = value * scale;
    if (!std::isfinite(ms) || ms > 1e12) {
        throw bad();
    }
    auto result = std::chrono::milliseconds(static_cast<long long>(std::llround(ms)));
    if (!allow_zero && result.count() <= 0) {
        throw UsageError(option + ": must be greater than zero");
    }
    return result;
}

namespace {

int parse_count(const std::string& text, const std::string& option) {
    if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
        throw UsageError(option + ": '" + text + "' is not a whole number");
    }
    int value = std::atoi(text.c_str());
    if (value < 1) {
        throw UsageError(option + ": must be at least 1");
    }
    return value;
}

}  // namespace

Arguments parse_arguments(const std::vector<std::string>& args) {
    Arguments result;
    ClientOptions& o = result.client;
    o.endpoints.clear();
    bool tls = false;
    std::optional<std::chrono::milliseconds> base;
    std::optional<std::chrono::milliseconds> max;
    std::optional<std::chrono::milliseconds> heartbeat;
    std::optional<std::chrono::milliseconds> timeout;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string arg = args[i];
        std::string value;
        bool has_inline = false;
        if (arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos) {
            value = arg.substr(arg.find('=') + 1);
            arg = arg.substr(0, arg.find('='));
            has_inline = true;
        }
        auto take = [&]() -> std::string {
            if (has_inline) {
                return value;
            }
            if (i + 1 >= args.size()) {
                throw UsageError(arg + " needs a value");
            }
            return args[++i];
        };
        auto flag = [&] {
            if (has_inline) {
                throw UsageError(arg + " takes no value");
            }
        };
        if (arg == "--json") {
            flag();
        } else if (arg == "--client-id") {
            o.client_id = take();
        } else if (arg == "--token") {
            o.token = take();
        } else if (arg == "--heartbeat") {
            heartbeat = parse_duration(take(), arg, false);
        } else if (arg == "--timeout") {
            timeout = parse_duration(take(), arg, false);
        } else if (arg == "--no-session") {
            flag();
            o.session.enabled = false;
        } else if (arg == "--max-attempts") {
            o.reconnect.max_attempts = parse_count(take(), arg);
        } else if (arg == "--backoff-base") {
            base = parse_duration(take(), arg, true);
        } else if (arg == "--backoff-max") {
            max = parse_duration(take(), arg, true);
        } else if (arg == "--stable-after") {
            o.reconnect.stable_after = parse_duration(take(), arg, true);
        } else if (arg == "--connect-timeout") {
            o.connect_timeout = parse_duration(take(), arg, false);
        } else if (arg == "--endpoint-selection") {
            std::string v = take();
            if (v == "failover") {
                o.endpoint_selection = EndpointSelection::failover;
            } else if (v == "round-robin") {
                o.endpoint_selection = EndpointSelection::round_robin;
            } else {
                throw UsageError("--endpoint-selection: '" + v + "' is not one of failover, round-robin");
            }
        } else if (arg == "--eof-delay") {
            result.eof_delay = parse_duration(take(), arg, true);
        } else if (arg == "--close-timeout") {
            result.close_timeout = parse_duration(take(), arg, true);
        } else if (arg == "--tls") {
            flag();
            tls = true;
        } else if (arg == "--ca") {
            o.tls.ca_file = take();
            tls = true;
        } else if (arg == "--insecure") {
            flag();
            o.tls.insecure = true;
            tls = true;
        } else if (arg.size() > 1 && arg[0] == '-') {
            throw UsageError("unrecognized option '" + arg + "'");
        } else {
            try {
                parse_endpoint(arg);
            } catch (const std::invalid_argument& e) {
                throw UsageError(e.what());
            }
            o.endpoints.push_back(arg);
        }
    }
    if (o.endpoints.empty()) {
        throw UsageError("no endpoint given: expected HOST:PORT, e.g. 127.0.0.1:7447");
    }
    // Only one bound given: the other default moves, so "--backoff-max 100ms" alone means what it says.
    if (base && max && *base > *max) {
        throw UsageError("--backoff-base must not exceed --backoff-max");
    }
    if (base) {
        o.reconnect.base_delay = *base;
        if (!max && *base > o.reconnect.max_delay) {
            o.reconnect.max_delay = *base;
        }
    }
    if (max) {
        o.reconnect.max_delay = *max;
        if (!base && *max < o.reconnect.base_delay) {
            o.reconnect.base_delay = *max;
        }
    }
    if (heartbeat && timeout && *timeout < *heartbeat) {
        throw UsageError("--timeout must be at least --heartbeat");
    }
    o.heartbeat_interval = heartbeat.value_or(std::chrono::milliseconds(0));
    o.heartbeat_timeout = timeout.value_or(std::chrono::milliseconds(0));
    if (o.tls.insecure && !o.tls.ca_file.empty()) {
        throw UsageError("--ca and --insecure contradict each other: --insecure checks nothing");
    }
    o.tls.enabled = tls;
    return result;
}

}  // namespace tether::example
