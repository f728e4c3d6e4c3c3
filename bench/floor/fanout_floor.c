/*
 * The kernel's floor for broadcast fan-out on this machine: the best any broadcast server could do when it writes one
 * small message to each of N loopback TCP connections and N real receivers (epoll, one read per readiness) pick it up.
 * No framing, no per-session bookkeeping, no allocation on the send path: `senders` threads each walk their share of
 * the server sockets and call send(2) once per socket. docs/benchmarks.md compares Tether's fan-out row with this.
 *
 *   gcc -O2 -pthread -o /tmp/fanout_floor bench/floor/fanout_floor.c && /tmp/fanout_floor 19000 2
 *
 *   usage: fanout_floor [N=19000] [senders=2] [bytes=64] [rounds=20] [interval_ms=1000]
 *
 * Layout. One process cannot hold both ends of 19,000 connections under the 20,000 open-file limit, so the process
 * forks: the parent is the server (listens on 127.0.0.1, port 0, accepts N connections and holds only the server
 * ends); two receiver children each connect half of the N clients, receiver i from source address 127.0.0.(2+i) with
 * IP_BIND_ADDRESS_NO_PORT so the ephemeral ports do not run out. Each receiver puts its sockets in one epoll instance,
 * reads every message (its first 8 bytes are the round number, the next 8 the CLOCK_MONOTONIC time at which the round
 * started) and stores now - start for each receipt in memory shared with the parent (mmap MAP_SHARED|MAP_ANONYMOUS,
 * created before fork). Both sides run on the same 2 cores, as a real server and its clients on one machine would.
 *
 * Each round: the server takes start = CLOCK_MONOTONIC, then `senders` threads (the main thread is sender 0) send the
 * same message to their contiguous share of the server sockets (non-blocking; an EAGAIN or short write is counted and
 * finished later, which should not happen for 64 B). Rounds are interval_ms apart so each broadcast is measured alone.
 *
 * Reported: per round, the time until every receiver had the message (max latency of the round) and the sender's own
 * send-loop time (max over sender threads); then p50/p99 over rounds of the "all have it" time, p50/p99 over all
 * individual receipts, the median send-loop time, and a final JSON line. A global alarm(120) bounds the run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define RECEIVERS 2
#define TIME_LIMIT_S 120

static int n_conn = 19000, n_senders = 2, msg_bytes = 64, n_rounds = 20, interval_ms = 1000;
static int64_t *latency;          /* shared: [round * n_conn + receiver index], ns, -1 = not received */
static pid_t children[RECEIVERS]; /* for the alarm handler */

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "fanout_floor[%d]: %s: %s\n", (int)getpid(), what, strerror(errno));
    exit(1);
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char text[] = "fanout_floor: time limit reached, giving up\n";
    ssize_t ignored = write(2, text, sizeof text - 1);
    (void)ignored;
    for (int i = 0; i < RECEIVERS; i++)
        if (children[i] > 0)
            kill(children[i], SIGKILL);
    _exit(3);
}

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Receiver child                                                                                                      */

static void signal_parent(int fd, char c)
{
    if (write(fd, &c, 1) != 1)
        die("write to parent");
}

static int receiver(int index, int first, int count, struct sockaddr_in server, int ready_fd)
{
    alarm(TIME_LIMIT_S);
    int *fds = malloc(sizeof(int) * count);
    uint32_t *offset = calloc(count, sizeof(uint32_t));
    unsigned char(*header)[16] = calloc(count, 16);
    int ep = epoll_create1(0);
    if (!fds || !offset || !header || ep < 0)
        die("setup");

    struct sockaddr_in source = { .sin_family = AF_INET, .sin_port = 0 };
    source.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)(2 + index));
    for (int k = 0; k < count; k++) {
        int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            die("socket");
        if (setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) != 0)
            die("IP_BIND_ADDRESS_NO_PORT");
        if (bind(fd, (struct sockaddr *)&source, sizeof source) != 0)
            die("bind source address");
        set_nodelay(fd);
        while (connect(fd, (struct sockaddr *)&server, sizeof server) != 0) {
            if (errno != EINTR) {
                signal_parent(ready_fd, 'E');
                die("connect");
            }
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)k };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
            die("epoll_ctl");
        fds[k] = fd;
    }
    signal_parent(ready_fd, 'R');

    static unsigned char buf[65536];
    struct epoll_event events[1024];
    int64_t expected = (int64_t)count * n_rounds, received = 0;
    while (received < expected) {
        int ready = epoll_wait(ep, events, 1024, -1);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait");
        }
        for (int e = 0; e < ready; e++) {
            uint32_t k = events[e].data.u32;
            ssize_t got = read(fds[k], buf, sizeof buf);
            int64_t now = now_ns();
            if (got == 0) {
                fprintf(stderr, "fanout_floor: receiver %d: server closed connection %u early\n", index, k);
                exit(1);
            }
            if (got < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    continue;
                die("read");
            }
            /* Stream through the chunk: keep the first 16 bytes of each message, skip the rest. */
            for (ssize_t p = 0; p < got;) {
                size_t c;
                if (offset[k] < 16) {
                    c = 16 - offset[k];
                    if (c > (size_t)(got - p))
                        c = (size_t)(got - p);
                    memcpy(header[k] + offset[k], buf + p, c);
                } else {
                    c = (size_t)msg_bytes - offset[k];
                    if (c > (size_t)(got - p))
                        c = (size_t)(got - p);
                }
                offset[k] += (uint32_t)c;
                p += (ssize_t)c;
                if (offset[k] == (uint32_t)msg_bytes) {
                    int64_t round, start;
                    memcpy(&round, header[k], 8);
                    memcpy(&start, header[k] + 8, 8);
                    if (round < 0 || round >= n_rounds) {
                        fprintf(stderr, "fanout_floor: receiver %d: bad round %lld\n", index, (long long)round);
                        exit(1);
                    }
                    latency[round * n_conn + first + k] = now - start;
                    offset[k] = 0;
                    received++;
                }
            }
        }
    }
    for (int k = 0; k < count; k++)
        close(fds[k]);
    close(ep);
    free(fds);
    free(offset);
    free(header);
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Server: sender threads                                                                                              */

static int *server_fds;
static unsigned char *message;
static int64_t round_start;
static int64_t *send_end;   /* [round * n_senders + sender] */
static long *eagain_count;  /* [sender] */
static pthread_barrier_t go, done;
static volatile int current_round;

static void send_share(int sender)
{
    int lo = (int)((int64_t)n_conn * sender / n_senders), hi = (int)((int64_t)n_conn * (sender + 1) / n_senders);
    int *pending = NULL, *pending_off = NULL, n_pending = 0;
    for (int i = lo; i < hi; i++) {
        ssize_t sent = send(server_fds[i], message, (size_t)msg_bytes, MSG_NOSIGNAL);
        if (sent == msg_bytes)
            continue;
        if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            die("send");
        eagain_count[sender]++;
        if (!pending) {
            pending = malloc(sizeof(int) * (size_t)(hi - lo));
            pending_off = malloc(sizeof(int) * (size_t)(hi - lo));
            if (!pending || !pending_off)
                die("malloc");
        }
        pending[n_pending] = i;
        pending_off[n_pending++] = sent > 0 ? (int)sent : 0;
    }
    /* Finish what did not go out in one call: wait for room on each, then write the rest. */
    for (int j = 0; j < n_pending; j++) {
        int fd = server_fds[pending[j]], off = pending_off[j];
        while (off < msg_bytes) {
            struct pollfd pfd = { .fd = fd, .events = POLLOUT };
            poll(&pfd, 1, 100);
            ssize_t sent = send(fd, message + off, (size_t)(msg_bytes - off), MSG_NOSIGNAL);
            if (sent > 0)
                off += (int)sent;
            else if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                die("send (retry)");
        }
    }
    free(pending);
    free(pending_off);
    send_end[current_round * n_senders + sender] = now_ns();
}

static void *sender_thread(void *arg)
{
    int sender = (int)(intptr_t)arg;
    for (int r = 0; r < n_rounds; r++) {
        pthread_barrier_wait(&go);
        send_share(sender);
        pthread_barrier_wait(&done);
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Statistics                                                                                                          */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static double pct_ms(const int64_t *sorted, size_t n, double p)
{
    if (n == 0)
        return -1;
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)sorted[rank - 1] / 1e6;
}

/* ------------------------------------------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    if (argc > 1) n_conn = atoi(argv[1]);
    if (argc > 2) n_senders = atoi(argv[2]);
    if (argc > 3) msg_bytes = atoi(argv[3]);
    if (argc > 4) n_rounds = atoi(argv[4]);
    if (argc > 5) interval_ms = atoi(argv[5]);
    signal(SIGALRM, on_alarm);
    alarm(TIME_LIMIT_S);

    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    if (n_conn < RECEIVERS || (rlim_t)n_conn + 32 > limit.rlim_cur || n_senders < 1 || n_senders > n_conn
        || n_senders > 64 || msg_bytes < 16 || msg_bytes > 65536 || n_rounds < 1 || interval_ms < 0) {
        fprintf(stderr,
                "usage: fanout_floor [N (%d..%ld)] [senders (1..64)] [bytes (16..65536)] [rounds] [interval_ms]\n",
                RECEIVERS, (long)limit.rlim_cur - 32);
        return 2;
    }

    size_t cells = (size_t)n_rounds * (size_t)n_conn;
    latency = mmap(NULL, cells * sizeof(int64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (latency == MAP_FAILED)
        die("mmap");
    for (size_t i = 0; i < cells; i++)
        latency[i] = -1;

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t length = sizeof address;
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0
        || listen(listener, 4096) != 0 || getsockname(listener, (struct sockaddr *)&address, &length) != 0)
        die("listen");
    set_nodelay(listener);

    int ready_pipe[2];
    if (pipe(ready_pipe) != 0)
        die("pipe");

    pid_t parent = getpid();
    for (int i = 0; i < RECEIVERS; i++) {
        int first = (int)((int64_t)n_conn * i / RECEIVERS), last = (int)((int64_t)n_conn * (i + 1) / RECEIVERS);
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent)
                _exit(1);
            signal(SIGALRM, SIG_DFL);
            close(listener);
            close(ready_pipe[0]);
            exit(receiver(i, first, last - first, address, ready_pipe[1]));
        }
        children[i] = pid;
    }
    close(ready_pipe[1]);

    /* Accept all N while the receivers connect; watch the pipe for their ready (or error) bytes. */
    server_fds = malloc(sizeof(int) * (size_t)n_conn);
    if (!server_fds)
        die("malloc");
    int accepted = 0, ready = 0;
    int64_t t_connect = now_ns();
    while (accepted < n_conn || ready < RECEIVERS) {
        struct pollfd pfd[2] = { { .fd = listener, .events = POLLIN }, { .fd = ready_pipe[0], .events = POLLIN } };
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        if (pfd[0].revents & POLLIN) {
            while (accepted < n_conn) {
                int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
                if (fd < 0) {
                    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                        break;
                    die("accept");
                }
                set_nodelay(fd);
                server_fds[accepted++] = fd;
            }
        }
        if (pfd[1].revents & (POLLIN | POLLHUP)) {
            char c;
            ssize_t got = read(ready_pipe[0], &c, 1);
            if (got == 1 && c == 'R')
                ready++;
            else if (got <= 0 || c == 'E') {
                fprintf(stderr, "fanout_floor: a receiver failed while connecting (%d accepted)\n", accepted);
                for (int i = 0; i < RECEIVERS; i++)
                    kill(children[i], SIGKILL);
                return 1;
            }
        }
    }
    double connect_ms = (double)(now_ns() - t_connect) / 1e6;
    close(listener);

    message = calloc(1, (size_t)msg_bytes);
    send_end = calloc((size_t)n_rounds * (size_t)n_senders, sizeof(int64_t));
    eagain_count = calloc((size_t)n_senders, sizeof(long));
    int64_t *starts = calloc((size_t)n_rounds, sizeof(int64_t));
    pthread_t threads[64];
    if (!message || !send_end || !eagain_count || !starts)
        die("calloc");
    memset(message + 16, 'x', (size_t)msg_bytes - 16);
    pthread_barrier_init(&go, NULL, (unsigned)n_senders);
    pthread_barrier_init(&done, NULL, (unsigned)n_senders);
    for (int s = 1; s < n_senders; s++)
        if (pthread_create(&threads[s], NULL, sender_thread, (void *)(intptr_t)s) != 0)
            die("pthread_create");

    for (int r = 0; r < n_rounds; r++) {
        struct timespec pause = { .tv_sec = interval_ms / 1000, .tv_nsec = (long)(interval_ms % 1000) * 1000000 };
        while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
        }
        current_round = r;
        int64_t round = r;
        round_start = now_ns();
        memcpy(message, &round, 8);
        memcpy(message + 8, &round_start, 8);
        starts[r] = round_start;
        pthread_barrier_wait(&go);
        send_share(0);
        pthread_barrier_wait(&done);
    }
    for (int s = 1; s < n_senders; s++)
        pthread_join(threads[s], NULL);

    /* Receivers exit once they have every message of every round. */
    int failed = 0;
    for (int i = 0; i < RECEIVERS; i++) {
        int status;
        while (waitpid(children[i], &status, 0) < 0 && errno == EINTR) {
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed = 1;
        children[i] = 0;
    }
    for (int i = 0; i < n_conn; i++)
        close(server_fds[i]);
    close(ready_pipe[0]);
    alarm(0);

    /* ---- report ---- */
    struct utsname un;
    uname(&un);
    long nproc = sysconf(_SC_NPROCESSORS_ONLN);
    long eagain = 0;
    for (int s = 0; s < n_senders; s++)
        eagain += eagain_count[s];

    int64_t *all_have = calloc((size_t)n_rounds, sizeof(int64_t));
    int64_t *send_loop = calloc((size_t)n_rounds, sizeof(int64_t));
    int64_t *receipts = malloc(cells * sizeof(int64_t));
    int64_t *one_round = malloc(sizeof(int64_t) * (size_t)n_conn);
    if (!all_have || !send_loop || !receipts || !one_round)
        die("malloc");
    size_t n_receipts = 0;
    long missing = 0;

    printf("machine: nproc=%ld kernel=%s\n", nproc, un.release);
    printf("fanout_floor: N=%d senders=%d bytes=%d rounds=%d interval_ms=%d receivers=%d processes, "
           "connect+accept %.0f ms\n",
           n_conn, n_senders, msg_bytes, n_rounds, interval_ms, RECEIVERS, connect_ms);
    printf("%5s %14s %14s %14s\n", "round", "all-have-it ms", "round p50 ms", "send-loop ms");
    for (int r = 0; r < n_rounds; r++) {
        int64_t worst = 0;
        int have = 0;
        for (int i = 0; i < n_conn; i++) {
            int64_t v = latency[(size_t)r * n_conn + i];
            if (v < 0) {
                missing++;
                continue;
            }
            receipts[n_receipts++] = v;
            one_round[have++] = v;
            if (v > worst)
                worst = v;
        }
        all_have[r] = worst;
        for (int s = 0; s < n_senders; s++) {
            int64_t t = send_end[r * n_senders + s] - starts[r];
            if (t > send_loop[r])
                send_loop[r] = t;
        }
        qsort(one_round, (size_t)have, sizeof(int64_t), cmp_i64);
        printf("%5d %14.2f %14.2f %14.2f\n", r, (double)all_have[r] / 1e6, pct_ms(one_round, (size_t)have, 50),
               (double)send_loop[r] / 1e6);
    }
    int64_t *all_sorted = malloc(sizeof(int64_t) * (size_t)n_rounds);
    if (!all_sorted)
        die("malloc");
    memcpy(all_sorted, all_have, sizeof(int64_t) * (size_t)n_rounds);
    qsort(all_sorted, (size_t)n_rounds, sizeof(int64_t), cmp_i64);
    qsort(send_loop, (size_t)n_rounds, sizeof(int64_t), cmp_i64);
    qsort(receipts, n_receipts, sizeof(int64_t), cmp_i64);

    double all_p50 = pct_ms(all_sorted, (size_t)n_rounds, 50), all_p99 = pct_ms(all_sorted, (size_t)n_rounds, 99);
    double rc_p50 = pct_ms(receipts, n_receipts, 50), rc_p99 = pct_ms(receipts, n_receipts, 99);
    double rc_max = pct_ms(receipts, n_receipts, 100), send_p50 = pct_ms(send_loop, (size_t)n_rounds, 50);
    printf("all-have-it over rounds: p50 %.2f ms, p99 %.2f ms\n", all_p50, all_p99);
    printf("individual receipts (%zu): p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", n_receipts, rc_p50, rc_p99, rc_max);
    printf("send loop (max over sender threads) median over rounds: %.2f ms (%.2f us per send per thread)\n", send_p50,
           send_p50 * 1e3 * n_senders / n_conn);
    printf("eagain/short sends: %ld, missing receipts: %ld, receiver failure: %s\n", eagain, missing,
           failed ? "yes" : "no");

    printf("{\"bench\":\"fanout_floor\",\"nproc\":%ld,\"kernel\":\"%s\",\"n\":%d,\"senders\":%d,\"bytes\":%d,"
           "\"rounds\":%d,\"interval_ms\":%d,\"all_have_it_p50_ms\":%.3f,\"all_have_it_p99_ms\":%.3f,"
           "\"receipt_p50_ms\":%.3f,\"receipt_p99_ms\":%.3f,\"receipt_max_ms\":%.3f,\"send_loop_p50_ms\":%.3f,"
           "\"eagain\":%ld,\"missing\":%ld,\"all_have_it_ms\":[",
           nproc, un.release, n_conn, n_senders, msg_bytes, n_rounds, interval_ms, all_p50, all_p99, rc_p50, rc_p99,
           rc_max, send_p50, eagain, missing);
    for (int r = 0; r < n_rounds; r++)
        printf("%s%.3f", r ? "," : "", (double)all_have[r] / 1e6);
    printf("]}\n");

    free(all_have);
    free(send_loop);
    free(receipts);
    free(one_round);
    free(all_sorted);
    free(message);
    free(send_end);
    free(eagain_count);
    free(starts);
    free(server_fds);
    pthread_barrier_destroy(&go);
    pthread_barrier_destroy(&done);
    munmap(latency, cells * sizeof(int64_t));
    return failed || missing ? 1 : 0;
}
