// Heartbeats on the Tether C++ client: heartbeat_client HOST:PORT [SECONDS]
// Compared with tests/interop/tutorial/cpp/heartbeat_client.cpp, which sends a message every second by hand and only
// notices a dead server when a read fails: the library pings only when the link is idle and reports the round-trip
// time, declares a silent server dead after the heartbeat timeout (a black hole TCP itself never reports), and then
// reconnects with backoff and full jitter.
#include <tether/tether.hpp>

#include <cstdio>
#include <cstdlib>
#include <thread>

int main(int argc, char** argv) {
    tether::ClientOptions options;
    options.endpoints = {argc > 1 ? argv[1] : "127.0.0.1:7447"};
    int seconds = argc > 2 ? std::atoi(argv[2]) : 10;
    options.heartbeat_interval = std::chrono::seconds(1);  // PING after 1 s without sending
    options.heartbeat_timeout = std::chrono::seconds(3);   // the server is dead after 3 s of silence

    tether::Handlers on;
    on.connected = [](const tether::ConnectedEvent& e) { std::printf("connected to %s\n", e.endpoint.c_str()); };
    on.rtt = [](std::chrono::duration<double, std::milli> rtt) { std::printf("rtt %.3f ms\n", rtt.count()); };
    on.disconnected = [](const tether::DisconnectedEvent& e) {
        std::printf("disconnected: %s (%s)\n", e.reason.c_str(), e.description.c_str());
    };
    on.reconnecting = [](const tether::ReconnectingEvent& e) {
        std::printf("reconnecting in %lld ms\n", static_cast<long long>(e.delay.count()));
    };
    std::setvbuf(stdout, nullptr, _IOLBF, 0);

    tether::Client client(options, on);
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    client.close();
    std::printf("done after %d s\n", seconds);
    return 0;
}
