// Reconnecting on the Tether C++ client: reconnect_client HOST:PORT [COUNT]
// Compared with tests/interop/tutorial/cpp/reconnect_client.cpp, which opens a new connection for every message and
// fails when the server is down: the library keeps one connection, reconnects by itself with exponential backoff and
// full jitter when the server goes away, and resumes its reliable session, so messages sent while the server was
// unreachable go out once, in order, after the reconnect. A server restart loses the session: the library hands back
// what the old session never had acknowledged, and this program sends it again.
#include <tether/tether.hpp>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

int main(int argc, char** argv) {
    tether::ClientOptions options;
    options.endpoints = {argc > 1 ? argv[1] : "127.0.0.1:7447"};
    int count = argc > 2 ? std::atoi(argv[2]) : 5;
    std::setvbuf(stdout, nullptr, _IOLBF, 0);

    std::mutex mutex;
    std::condition_variable changed;
    std::set<std::string> echoed;
    std::vector<tether::Bytes> to_resend;
    tether::Handlers on;
    on.message = [&](const tether::Bytes& m) {
        std::string text(m.begin(), m.end());
        std::printf("Received: %s\n", text.c_str());
        std::lock_guard<std::mutex> lock(mutex);
        echoed.insert(text);
        changed.notify_all();
    };
    on.disconnected = [](const tether::DisconnectedEvent& e) { std::printf("disconnected: %s\n", e.reason.c_str()); };
    on.reconnecting = [](const tether::ReconnectingEvent& e) {
        std::printf("reconnecting (attempt %d) in %lld ms\n", e.attempt, static_cast<long long>(e.delay.count()));
    };
    on.resumed = [](const tether::ResumedEvent& e) { std::printf("resumed, %zu message(s) resent\n", e.resent); };
    on.session_lost = [&](const tether::SessionLostEvent& e) {
        std::printf("session lost (%s): sending its %zu unacknowledged message(s) again\n", e.reason.c_str(), e.unacknowledged.size());
        std::lock_guard<std::mutex> lock(mutex);
        to_resend.insert(to_resend.end(), e.unacknowledged.begin(), e.unacknowledged.end());
        changed.notify_all();
    };

    tether::Client client(options, on);
    for (int i = 1; i <= count; i++) {
        client.send("ping " + std::to_string(i));
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    std::unique_lock<std::mutex> lock(mutex);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (static_cast<int>(echoed.size()) < count) {
        for (auto& message : to_resend) {
            client.send(message);  // handlers must not send; the main thread does
        }
        to_resend.clear();
        if (changed.wait_until(lock, deadline) == std::cv_status::timeout) {
            std::fprintf(stderr, "error: %zu of %d echoes after 30 s\n", echoed.size(), count);
            return 1;
        }
    }
    lock.unlock();
    client.close();
    std::printf("all %d echoes matched\n", count);
    return 0;
}
