// The example program's command line: the options of `tether connect` (see README.md).
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "tether/tether.hpp"

namespace tether::example {

struct Arguments {
    ClientOptions client;
    std::chrono::milliseconds eof_delay{0};
    std::chrono::milliseconds close_timeout{10000};
};

/// A wrong command line; the message is the one line shown to the user.
class UsageError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// Parses "250ms", "30s", "1.5s", "2m", "1h" or a bare number of seconds. Throws UsageError naming `option`.
std::chrono::milliseconds parse_duration(const std::string& text, const std::string& option, bool allow_zero);

/// Parses the arguments after the program name. Throws UsageError.
Arguments parse_arguments(const std::vector<std::string>& args);

}  // namespace tether::example
