#include <cstdio>
#include <cstring>
#include <exception>

#include "test.hpp"

namespace tether_test {

namespace {
int failures_in_case = 0;
}

std::vector<Case>& cases() {
    static std::vector<Case> all;
    return all;
}

void add_case(std::string name, std::function<void()> body) { cases().push_back({std::move(name), std::move(body)}); }

void fail(const std::string& message, const char* file, int line) {
    ++failures_in_case;
    std::printf("    %s:%d: %s\n", file, line, message.c_str());
}

}  // namespace tether_test

int main(int argc, char** argv) {
    using namespace tether_test;
    const char* filter = argc > 1 ? argv[1] : nullptr;
    int passed = 0;
    int failed = 0;
    // Cases may add more cases (one per vector): iterate by index.
    for (std::size_t i = 0; i < cases().size(); ++i) {
        Case c = cases()[i];
        if (filter != nullptr && c.name.find(filter) == std::string::npos) {
            continue;
        }
        failures_in_case = 0;
        try {
            c.body();
        } catch (const Abort&) {
        } catch (const std::exception& e) {
            fail(std::string("unexpected exception: ") + e.what(), c.name.c_str(), 0);
        } catch (...) {
            fail("unexpected exception", c.name.c_str(), 0);
        }
        if (failures_in_case == 0) {
            ++passed;
        } else {
            ++failed;
            std::printf("FAIL %s\n", c.name.c_str());
        }
        std::fflush(stdout);
    }
    std::printf("tests: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
