// Shows an idle timeout from the client's side: after one exchange it stays silent until the server closes it.
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char* argv[]) {
    const char* host = argc > 1 ? argv[1] : "127.0.0.1";
    int port = argc > 2 ? std::atoi(argv[2]) : 8888;
    double max_wait = argc > 3 ? std::atof(argv[3]) : 60;

    int sock = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, host, &addr.sin_addr);
    if (connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
        std::perror("connect");
        return 1;
    }

    send(sock, "Hello", 5, 0);
    char buffer[1024];
    ssize_t n = recv(sock, buffer, sizeof(buffer), 0);
    std::printf("Received: %s\n", std::string(buffer, n > 0 ? n : 0).c_str());
    std::fflush(stdout);

    auto start = std::chrono::steady_clock::now();
    timeval timeout{};
    timeout.tv_sec = static_cast<time_t>(max_wait);
    timeout.tv_usec = static_cast<suseconds_t>((max_wait - timeout.tv_sec) * 1e6);
    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));

    // Anything else the server sends is ignored; 0 means it closed the connection (a reset is a close too).
    while ((n = recv(sock, buffer, sizeof(buffer), 0)) > 0) {
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        std::fprintf(stderr, "error: the server did not close the connection within %g s\n", max_wait);
        close(sock);
        return 1;
    }

    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    std::printf("closed by server after %.1f s\n", elapsed.count());
    close(sock);
    return 0;
}
