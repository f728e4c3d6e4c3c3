/*
 * The kernel's floor for fan-out on this machine: the time one thread needs to write one small message to each of N
 * loopback TCP connections with plain non-blocking send(2), nothing else (no framing, no bookkeeping, no reader
 * scheduled). A broadcast server cannot beat this per thread; docs/benchmarks.md compares Tether's fan-out with it.
 *
 *   gcc -O2 -o /tmp/send_floor bench/floor/send_floor.c && /tmp/send_floor 19000 80
 *
 * Holds 2 x N descriptors: N up to about 9,900 under the 20,000 open-file limit (the figure is per send, so the
 * default 8,000 is enough).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 8000;
    int size = argc > 2 ? atoi(argv[2]) : 80;
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    if ((rlim_t)(2 * n + 16) > limit.rlim_cur || size < 1 || size > 65536) {
        fprintf(stderr, "usage: send_floor [connections (at most %ld)] [bytes]\n", (long)(limit.rlim_cur - 16) / 2);
        return 2;
    }

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t length = sizeof address;
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 4096) != 0
        || getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
        perror("listen");
        return 1;
    }

    int *servers = malloc(sizeof(int) * n), *clients = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) {
        int one = 1;
        clients[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (clients[i] < 0 || connect(clients[i], (struct sockaddr *)&address, sizeof address) != 0
            || (servers[i] = accept(listener, NULL, NULL)) < 0) {
            perror("connect");
            return 1;
        }
        setsockopt(servers[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }

    char *message = calloc(1, size);
    double best = 1e9;
    for (int round = 0; round < 5; round++) {
        double start = now_ms();
        for (int i = 0; i < n; i++) {
            send(servers[i], message, size, MSG_DONTWAIT | MSG_NOSIGNAL);
        }
        double elapsed = now_ms() - start;
        best = elapsed < best ? elapsed : best;
        usleep(300000);
    }

    printf("{\"connections\":%d,\"bytes\":%d,\"bestMs\":%.1f,\"usPerSend\":%.2f}\n", n, size, best, best * 1000 / n);
    return 0;
}
