// Shows the simplest TCP client: connect, send one message, print the echo, close.
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char* argv[]) {
    const char* host = argc > 1 ? argv[1] : "127.0.0.1";
    int port = argc > 2 ? std::atoi(argv[2]) : 8888;

    int sock = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, host, &addr.sin_addr);
    if (connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
        std::perror("connect");
        return 1;
    }

    const char* message = "Hello, world!";
    send(sock, message, std::strlen(message), 0);

    char buffer[1024];
    ssize_t n = recv(sock, buffer, sizeof(buffer), 0);
    std::printf("Received: %s\n", std::string(buffer, n > 0 ? n : 0).c_str());

    close(sock);
    return 0;
}
