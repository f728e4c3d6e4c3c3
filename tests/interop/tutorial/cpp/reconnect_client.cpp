// Shows short-lived connections: connect, send one message, read the echo, close, and again.
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char* argv[]) {
    const char* host = argc > 1 ? argv[1] : "127.0.0.1";
    int port = argc > 2 ? std::atoi(argv[2]) : 8888;
    int count = argc > 3 ? std::atoi(argv[3]) : 5;

    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, host, &addr.sin_addr);

    for (int i = 1; i <= count; i++) {
        int sock = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
            std::perror("connect");
            return 1;
        }

        std::string message = "ping " + std::to_string(i);
        send(sock, message.data(), message.size(), 0);
        char buffer[1024];
        ssize_t n = recv(sock, buffer, sizeof(buffer), 0);
        std::string reply(buffer, n > 0 ? n : 0);
        close(sock);

        std::printf("Received: %s\n", reply.c_str());
        std::fflush(stdout);
        if (reply != message) {
            std::fprintf(stderr, "error: expected '%s', got '%s'\n", message.c_str(), reply.c_str());
            return 1;
        }
    }

    std::printf("all %d echoes matched\n", count);
    return 0;
}
