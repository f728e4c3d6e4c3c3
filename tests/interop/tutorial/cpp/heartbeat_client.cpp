// Shows an application heartbeat: a message every second keeps an idle-timeout server from dropping the client.
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

const std::string MESSAGE = "heartbeat";

// TCP is a byte stream: one recv may return part of the echo, so read until all of it is in.
// Returns false if the server closed or reset the connection.
bool read_echo(int sock, std::string& reply) {
    char buffer[1024];
    reply.clear();
    while (reply.size() < MESSAGE.size()) {
        ssize_t n = recv(sock, buffer, sizeof(buffer), 0);
        if (n <= 0) {
            return false;
        }
        reply.append(buffer, n);
    }
    return true;
}

int main(int argc, char* argv[]) {
    const char* host = argc > 1 ? argv[1] : "127.0.0.1";
    int port = argc > 2 ? std::atoi(argv[2]) : 8888;
    int seconds = argc > 3 ? std::atoi(argv[3]) : 10;

    int sock = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, host, &addr.sin_addr);
    if (connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
        std::perror("connect");
        return 1;
    }

    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i <= seconds; i++) {
        if (i > 0) {
            std::this_thread::sleep_for(std::chrono::seconds(1));
        }
        // MSG_NOSIGNAL: writing to a closed connection returns an error instead of killing the process (SIGPIPE).
        std::string reply;
        if (send(sock, MESSAGE.data(), MESSAGE.size(), MSG_NOSIGNAL) < 0 || !read_echo(sock, reply)) {
            std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
            std::fprintf(stderr, "error: connection closed by server after %.1f s\n", elapsed.count());
            close(sock);
            return 1;
        }
        std::printf("Received: %s\n", reply.c_str());
        std::fflush(stdout);
    }

    close(sock);
    std::printf("still connected after %d s\n", seconds);
    return 0;
}
