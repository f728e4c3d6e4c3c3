// A small self-made test framework: TEST registers a case, CHECK records a failure and goes on, REQUIRE stops the case.
#pragma once

#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tether_test {

struct Case {
    std::string name;
    std::function<void()> body;
};

std::vector<Case>& cases();
/// Adds a case at run time (e.g. one per protocol vector).
void add_case(std::string name, std::function<void()> body);
void fail(const std::string& message, const char* file, int line);

struct Registrar {
    Registrar(const char* name, void (*body)()) { add_case(name, body); }
};

/// Thrown by REQUIRE to end the current case.
struct Abort {};

template <typename A, typename B>
std::string describe(const A& a, const B& b) {
    std::ostringstream out;
    out << "got [" << a << "], expected [" << b << "]";
    return out.str();
}

}  // namespace tether_test

#define TETHER_CAT2(a, b) a##b
#define TETHER_CAT(a, b) TETHER_CAT2(a, b)
#define TEST(name)                                                               \
    static void name();                                                          \
    static ::tether_test::Registrar TETHER_CAT(name, _registrar)(#name, &name);  \
    static void name()

#define CHECK(condition)                                                         \
    do {                                                                         \
        if (!(condition)) ::tether_test::fail("CHECK(" #condition ")", __FILE__, __LINE__); \
    } while (0)

#define CHECK_EQ(actual, expected)                                                               \
    do {                                                                                         \
        /* copies: `actual` may name a part of a temporary that ends with this statement */    \
        const auto tether_a = (actual);                                                          \
        const auto tether_e = (expected);                                                        \
        if (!(tether_a == tether_e))                                                             \
            ::tether_test::fail(#actual " == " #expected ": " + ::tether_test::describe(tether_a, tether_e), __FILE__, __LINE__); \
    } while (0)

#define REQUIRE(condition)                                                       \
    do {                                                                         \
        if (!(condition)) {                                                      \
            ::tether_test::fail("REQUIRE(" #condition ")", __FILE__, __LINE__);  \
            throw ::tether_test::Abort{};                                        \
        }                                                                        \
    } while (0)

#define CHECK_THROWS(expression, ExceptionType)                                  \
    do {                                                                         \
        bool tether_thrown = false;                                              \
        try {                                                                    \
            (void)(expression);                                                  \
        } catch (const ExceptionType&) {                                         \
            tether_thrown = true;                                                \
        }                                                                        \
        if (!tether_thrown) ::tether_test::fail(#expression " did not throw " #ExceptionType, __FILE__, __LINE__); \
    } while (0)
