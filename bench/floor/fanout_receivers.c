/*
 * fanout_receivers: a broadcast fan-out of the real Tether server, timed by C receivers, so that it compares apples to
 * apples with fanout_floor.c (the same fan-out with a C server and C receivers). It shares no code with Tether: one C
 * file, Linux epoll, no dependencies; the protocol is written from docs/protocol.md (sections 4, 5.1-5.6, 7,
 * 10.2-10.4).
 *
 *   gcc -O2 -Wall -Wextra -Werror -pthread -o /tmp/fanout_receivers bench/floor/fanout_receivers.c
 *   /tmp/fanout_receivers --target 127.0.0.1:PORT --connections N [--processes 2] [--sources 127.0.0.2-127.0.0.5]
 *                         [--messages 20] [--interval-ms 500] [--size 64] [--sessions on|off] [--heartbeat 30]
 *                         [--concurrency 256] [--drain 5] [--pid SERVER_PID]
 *   /tmp/fanout_receivers --self-test   (encoders and parser against docs/protocol.md's test vectors, byte-by-byte)
 *
 * The server under test is `tether serve --app broadcast`: every DATA a client sends goes to every connection.
 *
 *   --target       IPv4 address and port of the server
 *   --connections  receivers in all (N); each process holds N/P of them, at most the open-file limit minus 50
 *   --processes    receiver processes (P, forked; default 2, as fanout_floor)
 *   --sources      source addresses for the receivers, round robin (a range A-B, a list A,B,... or both), bound with
 *                  IP_BIND_ADDRESS_NO_PORT so each has its own ephemeral ports (default: none, the kernel picks)
 *   --messages     broadcasts (K, default 20)
 *   --interval-ms  time between broadcasts (default 500), so each is measured alone
 *   --size         DATA payload bytes (default 64, at least 16: send time and message index)
 *   --sessions     on: each receiver's HELLO carries SESSION, received DATA are acknowledged (section 10.4) with one
 *                  ACK after 32 unacknowledged messages or 200 ms after the first, whichever comes first; off: plain
 *                  HELLO (default on)
 *   --heartbeat    interval proposed in HELLO, seconds (default 30); a connection sends a PING when it has sent
 *                  nothing for the interval the WELCOME decided, so a run shorter than that sends none
 *   --concurrency  connections being set up at once, in all (split over the processes; default 256)
 *   --drain        seconds after the last send before a copy not yet received counts as missing (default 5)
 *   --pid          the server's process id: its utime + stime (/proc/PID/stat) over the broadcast phase
 *
 * Layout. P receiver processes (fork) each open their share of the N connections (non-blocking connects, HELLO,
 * WELCOME expected within 15 s), answer every PING with a PONG and tell the parent through a pipe when all are open.
 * Once every process is ready, the parent opens one more connection, the sender (no session), and sends K DATA frames
 * of --size bytes, --interval-ms apart; each payload starts with the CLOCK_MONOTONIC time of the send (ns, u64 big
 * endian; one clock for every process of the machine) and the message index (u64). The server broadcasts each to all
 * N receivers (and back to the sender, whose copies are read and not timed). Receivers use level-triggered epoll and
 * one read per readiness, as fanout_floor's do, parse frames whatever the read split, skip unknown frames by their
 * length (section 4.6) and store arrival - send time per (message, connection). After the last send the parent tells
 * the processes; each reports (pipe) once it has every copy, or --drain seconds later, then the parent ends them all.
 *
 * One line goes to stdout:
 *
 *   fanout_receivers: connections=N processes=P sessions=on messages=K size=64 all_have_it_p50_ms=..
 *                     all_have_it_p99_ms=.. all_have_it_max_ms=.. delivery_p50_ms=.. delivery_p99_ms=.. delivered=..
 *                     missing=.. server_cpu_pct=.. ...
 *
 * "all have it" for one broadcast is the largest latency over the N receivers (fanout_floor's figure); its p50/p99/max
 * are over the K broadcasts (nearest rank). delivery_* are over every copy received. missing counts copies not received
 * within --drain seconds of the last send; server_cpu_pct is the server's CPU time over the broadcast phase (one
 * interval before the first send to the last copy) as a percentage of one core. Exit status 0 when nothing is missing,
 * 1 otherwise (or when a receiver could not connect), 2 for a usage error.
 *
 * With --sessions on, restart the server between runs: the server keeps each session detached for its time to live
 * (2 min by default) after the connection ends, and a broadcast is appended to every detached session too.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define RESERVED_FILES 50           /* descriptors kept back per process for stdio, epoll, pipes, the sender */
#define MAX_PROCESSES 64
#define SETUP_DEADLINE_MS 15000     /* connect + HELLO/WELCOME must finish within this */
#define SCAN_MS 250                 /* how often set-up deadlines and heartbeats are checked */
#define ACK_AFTER_MESSAGES 32       /* section 10.4: N */
#define ACK_DELAY_MS 200            /* section 10.4: T_ack */
#define KEEP 56                     /* leading body bytes kept per frame: WELCOME's fixed part, DATA's seq+ack+stamp */
#define OUT_MAX 128                 /* bytes one receiver may have waiting for its socket (HELLO is 52) */
#define PIPE_TAG 0x80000000u        /* epoll data of a pipe: PIPE_TAG | process index */
#define STAMP_BYTES 16              /* payload prefix: send time (ns) and message index, u64 big endian each */

/* Tether protocol constants (docs/protocol.md sections 4, 5, 13). */
#define T_HELLO 0x01
#define T_WELCOME 0x02
#define T_DATA 0x03
#define T_ACK 0x04
#define T_PING 0x05
#define T_PONG 0x06
#define T_GOAWAY 0x07
#define T_CLOSE 0x08
#define F_SESSION 0x01              /* HELLO, WELCOME */
#define F_RESUMED 0x02              /* WELCOME */
#define F_SEQ 0x01                  /* DATA */
#define F_ACK 0x02                  /* DATA */
#define T_HEADER 6
#define T_HANDSHAKE_MAX_BODY 8192
#define T_MAX_FRAME 1048576         /* what our HELLO announces, and so what we accept after WELCOME */
#define T_WELCOME_FIXED 53
#define CODE_NORMAL 1000
#define CODE_PROTOCOL_ERROR 1002
#define CODE_FRAME_TOO_LARGE 1004

enum state { ST_NEW, ST_CONNECTING, ST_HANDSHAKE, ST_OPEN, ST_CLOSED };

struct conn {
    int fd;
    uint8_t state;
    uint8_t session;        /* the WELCOME granted a session */
    uint8_t in_body;        /* parser: 0 while collecting a header, 1 while reading a body */
    uint8_t hdr_have;
    uint8_t out_len;        /* bytes waiting in out[] for the socket */
    uint8_t want_out;       /* EPOLLOUT is in the interest set */
    uint8_t ack_queued;     /* in the pending-ack list */
    uint8_t hdr[T_HEADER];
    uint8_t keep[KEEP];     /* the first KEEP bytes of the current body */
    uint32_t body_len, body_have;
    uint32_t interval_ms;   /* decided heartbeat interval */
    uint32_t peer_max;      /* the server's maxFrameSize */
    uint64_t last_seq;      /* highest seq received in order (section 10.3) */
    uint64_t acked_seq;     /* the last ack sent */
    int64_t first_unacked_ms, last_sent_ms, setup_start_ms;
    uint8_t out[OUT_MAX];
};

static struct {
    struct sockaddr_in target;
    int connections, processes, messages, interval_ms, size, sessions, heartbeat_s, concurrency, drain_s, pid;
    struct in_addr sources[256];
    int source_count;
} opt = { .processes = 2, .messages = 20, .interval_ms = 500, .size = 64, .sessions = 1, .heartbeat_s = 30,
          .concurrency = 256, .drain_s = 5, .pid = -1 };

/* What one process saw; also the record a receiver process sends its parent (kind 'R' ready, 'D' done). */
struct report {
    int32_t kind;
    int32_t open, failed, dropped, sessions, pad;
    int64_t delivered, duplicates, foreign, echoes, server_pings, pings_sent, pongs, acks_sent, goaways;
};

static struct report st;            /* this process's counters (kind unused) */
static long inflight;
static struct conn *conns;
static int n_local;                 /* connections this process holds */
static int first_global;            /* global index of conns[0] (for --sources round robin) */
static int is_sender;               /* the parent's connection: its DATA are its own echoes, not timed */
static int concurrency_local;
static int64_t *lat;                /* [message * n_local + i], ns; -1 = not received */
static int32_t *ackq;               /* connections with an ack pending */
static int ackq_len;
static int epoll_fd = -1;
static int64_t arrival_ns;          /* time of the read whose bytes are being parsed */
static int64_t next_scan_ms;
static void (*on_pipe)(uint32_t index);

/* Distinct end reasons with counts, reported on stderr. */
#define MAX_REASONS 24
static struct { char text[96]; long count; } reasons[MAX_REASONS];
static int reason_count;

/* ---- small helpers ---------------------------------------------------------------------------------------------- */

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int64_t now_ms(void) { return now_ns() / 1000000; }

static void put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put_u32(uint8_t *p, uint32_t v) { put_u16(p, (uint16_t)(v >> 16)); put_u16(p + 2, (uint16_t)v); }
static void put_u64(uint8_t *p, uint64_t v) { put_u32(p, (uint32_t)(v >> 32)); put_u32(p + 4, (uint32_t)v); }
static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get_u32(const uint8_t *p) { return (uint32_t)get_u16(p) << 16 | get_u16(p + 2); }
static uint64_t get_u64(const uint8_t *p) { return (uint64_t)get_u32(p) << 32 | get_u32(p + 4); }

static void note_reason(const char *kind, const char *text)
{
    char line[96];
    snprintf(line, sizeof line, "%s: %s", kind, text);
    for (int i = 0; i < reason_count; i++) {
        if (strcmp(reasons[i].text, line) == 0) {
            reasons[i].count++;
            return;
        }
    }
    if (reason_count < MAX_REASONS) {
        snprintf(reasons[reason_count].text, sizeof reasons[reason_count].text, "%s", line);
        reasons[reason_count++].count = 1;
    }
}

static void print_reasons(const char *who)
{
    for (int r = 0; r < reason_count; r++) {
        fprintf(stderr, "fanout_receivers: %s: %ld x %s\n", who, reasons[r].count, reasons[r].text);
    }
}

static int write_full(int fd, const void *data, size_t length)
{
    const char *p = data;
    while (length > 0) {
        ssize_t n = write(fd, p, length);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        p += n;
        length -= (size_t)n;
    }
    return 0;
}

static int read_full(int fd, void *data, size_t length)
{
    char *p = data;
    while (length > 0) {
        ssize_t n = read(fd, p, length);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        p += n;
        length -= (size_t)n;
    }
    return 0;
}

/* utime + stime of the server in clock ticks, or -1. Fields are counted from the last ')' (the command name may
 * contain spaces): state is field 3, utime 14, stime 15. */
static long long read_cpu_ticks(int pid)
{
    char path[64], text[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    char *p = strrchr(text, ')');
    if (!p) {
        return -1;
    }
    unsigned long long utime = 0;
    int field = 2;
    char *save = NULL;
    for (char *token = strtok_r(p + 1, " ", &save); token; token = strtok_r(NULL, " ", &save)) {
        field++;
        if (field == 14) {
            utime = strtoull(token, NULL, 10);
        } else if (field == 15) {
            return (long long)(utime + strtoull(token, NULL, 10));
        }
    }
    return -1;
}

/* ---- encoders (section 5) --------------------------------------------------------------------------------------- */

static size_t enc_hello(uint8_t *p, uint8_t flags, uint32_t interval_ms, uint32_t timeout_ms, uint32_t max_frame,
                        const char *client_id, const uint8_t *token, size_t token_len)
{
    size_t id_len = strlen(client_id);
    size_t body = 46 + id_len + token_len;
    p[0] = T_HELLO;
    p[1] = flags;
    put_u32(p + 2, (uint32_t)body);
    uint8_t *b = p + T_HEADER;
    memcpy(b, "TTHR", 4);
    b[4] = 1;                           /* minVersion */
    b[5] = 1;                           /* maxVersion */
    put_u32(b + 6, interval_ms);
    put_u32(b + 10, timeout_ms);
    put_u32(b + 14, max_frame);
    memset(b + 18, 0, 16 + 8);          /* sessionId and lastReceivedSeq: zero without RESUME */
    put_u16(b + 42, (uint16_t)id_len);
    memcpy(b + 44, client_id, id_len);
    put_u16(b + 44 + id_len, (uint16_t)token_len);
    if (token_len > 0) {
        memcpy(b + 46 + id_len, token, token_len);
    }
    return T_HEADER + body;
}

/* ACK, PING, PONG: a 6-byte header and one u64. */
static size_t enc_u64_frame(uint8_t *p, uint8_t type, uint64_t value)
{
    p[0] = type;
    p[1] = 0;
    put_u32(p + 2, 8);
    put_u64(p + T_HEADER, value);
    return T_HEADER + 8;
}

/* DATA header plus the seq and ack its flags call for; the payload (payload_len bytes) follows. Returns the length
 * written before the payload. */
static size_t enc_data_head(uint8_t *p, uint8_t flags, uint64_t seq, uint64_t ack, size_t payload_len)
{
    size_t n = T_HEADER;
    if (flags & F_SEQ) {
        put_u64(p + n, seq);
        n += 8;
    }
    if (flags & F_ACK) {
        put_u64(p + n, ack);
        n += 8;
    }
    p[0] = T_DATA;
    p[1] = flags;
    put_u32(p + 2, (uint32_t)(n - T_HEADER + payload_len));
    return n;
}

static size_t enc_close(uint8_t *p, uint16_t code)
{
    p[0] = T_CLOSE;
    p[1] = 0;
    put_u32(p + 2, 8);
    put_u16(p + 6, code);
    put_u32(p + 8, 0);                  /* retryAfterMs: a client sends 0 */
    put_u16(p + 12, 0);                 /* no reason */
    return 14;
}

/* ---- connections ------------------------------------------------------------------------------------------------ */

static void set_interest(int32_t i, int out)
{
    struct conn *c = &conns[i];
    struct epoll_event event = { .events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0), .data.u32 = (uint32_t)i };
    if (epoll_fd >= 0) {
        epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &event);
    }
    c->want_out = (uint8_t)(out != 0);
}

static void conn_end(int32_t i, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void conn_end(int32_t i, const char *format, ...)
{
    struct conn *c = &conns[i];
    if (c->state == ST_CLOSED) {
        return;
    }
    char text[80];
    va_list args;
    va_start(args, format);
    vsnprintf(text, sizeof text, format, args);
    va_end(args);
    if (c->state == ST_OPEN) {
        st.open--;
        st.dropped++;
        note_reason("dropped", text);
    } else {
        inflight--;
        st.failed++;
        note_reason("failed", text);
    }
    if (c->fd >= 0) {
        close(c->fd);                   /* also leaves the epoll set */
    }
    c->fd = -1;
    c->state = ST_CLOSED;
}

/* Writes what out[] holds; 0 on success (even if some is left for EPOLLOUT), -1 if the connection ended. */
static int conn_flush(int32_t i)
{
    struct conn *c = &conns[i];
    while (c->out_len > 0) {
        ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return 0;
            }
            conn_end(i, "send: %s", strerror(errno));
            return -1;
        }
        memmove(c->out, c->out + n, c->out_len - (size_t)n);
        c->out_len = (uint8_t)(c->out_len - n);
    }
    if (c->want_out && c->state != ST_CONNECTING) {
        set_interest(i, 0);
    }
    return 0;
}

/* Sends bytes in order; what the socket does not take now waits in out[]. -1 if the connection ended. */
static int conn_send(int32_t i, const uint8_t *data, size_t length)
{
    struct conn *c = &conns[i];
    if (c->out_len > 0 && conn_flush(i) < 0) {
        return -1;
    }
    if (c->out_len == 0) {
        ssize_t n;
        do {
            n = send(c->fd, data, length, MSG_NOSIGNAL | MSG_DONTWAIT);
        } while (n < 0 && errno == EINTR);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            conn_end(i, "send: %s", strerror(errno));
            return -1;
        }
        if (n > 0) {
            data += n;
            length -= (size_t)n;
        }
    }
    if (length > 0) {
        if (c->out_len + length > OUT_MAX) {
            conn_end(i, "server does not read (send buffer full)");
            return -1;
        }
        memcpy(c->out + c->out_len, data, length);
        c->out_len = (uint8_t)(c->out_len + length);
        if (!c->want_out) {
            set_interest(i, 1);
        }
    }
    c->last_sent_ms = now_ms();
    return 0;
}

/* A protocol violation by the server: CLOSE with the code (the server's first header has arrived, so a CLOSE is
 * allowed, section 7.3), then close. Always returns -1. */
static int conn_fail(int32_t i, uint16_t code, const char *format, ...) __attribute__((format(printf, 3, 4)));

static int conn_fail(int32_t i, uint16_t code, const char *format, ...)
{
    char text[80];
    va_list args;
    va_start(args, format);
    vsnprintf(text, sizeof text, format, args);
    va_end(args);
    uint8_t bye[16];
    size_t length = enc_close(bye, code);
    if (conns[i].out_len == 0) {
        ssize_t ignored = send(conns[i].fd, bye, length, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)ignored;
    }
    conn_end(i, "%s", text);
    return -1;
}

static void send_ack(int32_t i)
{
    struct conn *c = &conns[i];
    uint8_t frame[T_HEADER + 8];
    c->acked_seq = c->last_seq;
    c->first_unacked_ms = 0;
    if (conn_send(i, frame, enc_u64_frame(frame, T_ACK, c->last_seq)) == 0) {
        st.acks_sent++;
    }
}

/* A DATA with seq s was delivered in order: ack after ACK_AFTER_MESSAGES, or ACK_DELAY_MS after the first unacked. */
static void note_in_order(int32_t i, uint64_t seq)
{
    struct conn *c = &conns[i];
    c->last_seq = seq;
    if (c->last_seq - c->acked_seq >= ACK_AFTER_MESSAGES) {
        send_ack(i);
        return;
    }
    if (c->first_unacked_ms == 0) {
        c->first_unacked_ms = now_ms();
        if (!c->ack_queued) {
            c->ack_queued = 1;
            ackq[ackq_len++] = i;
        }
    }
}

static void conn_opened(int32_t i)
{
    struct conn *c = &conns[i];
    c->state = ST_OPEN;
    inflight--;
    st.open++;
}

/* TCP connect finished: HELLO (section 5.1), anonymous, proposing --heartbeat, SESSION when --sessions on. */
static void on_connected(int32_t i)
{
    struct conn *c = &conns[i];
    uint8_t hello[T_HEADER + 46];
    c->state = ST_HANDSHAKE;
    set_interest(i, 0);
    uint8_t flags = opt.sessions && !is_sender ? F_SESSION : 0;
    conn_send(i, hello, enc_hello(hello, flags, (uint32_t)opt.heartbeat_s * 1000u, 0, T_MAX_FRAME, "", NULL, 0));
}

static void conn_start(int32_t i)
{
    struct conn *c = &conns[i];
    c->state = ST_CONNECTING;
    c->setup_start_ms = now_ms();
    inflight++;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        conn_end(i, "socket: %s", strerror(errno));
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (opt.source_count > 0) {
        /* With IP_BIND_ADDRESS_NO_PORT the port is chosen at connect() from the full 4-tuple, per source address. */
        struct sockaddr_in source = { .sin_family = AF_INET,
                                      .sin_addr = opt.sources[(first_global + i) % opt.source_count] };
        setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (bind(c->fd, (struct sockaddr *)&source, sizeof source) != 0) {
            conn_end(i, "bind: %s", strerror(errno));
            return;
        }
    }
    if (connect(c->fd, (struct sockaddr *)&opt.target, sizeof opt.target) != 0 && errno != EINPROGRESS) {
        conn_end(i, "connect: %s", strerror(errno));
        return;
    }
    struct epoll_event event = { .events = EPOLLOUT, .data.u32 = (uint32_t)i };
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c->fd, &event) != 0) {
        conn_end(i, "epoll_ctl: %s", strerror(errno));
        return;
    }
    c->want_out = 1;
}

/* ---- receiving (sections 4.6, 5, 10.3) -------------------------------------------------------------------------- */

/* The 6-byte header is in: check it before reading the body. 0 = read the body, -1 = the connection ended. */
static int header_check(int32_t i)
{
    struct conn *c = &conns[i];
    uint8_t type = c->hdr[0], flags = c->hdr[1];
    c->body_len = get_u32(c->hdr + 2);
    if (c->state == ST_HANDSHAKE && type != T_WELCOME && type != T_CLOSE) {
        return conn_fail(i, CODE_PROTOCOL_ERROR, "first frame type 0x%02x instead of WELCOME", type);
    }
    if (type == 0x00 || (type >= 0x09 && type <= 0x3F) || type >= 0x80) {
        return conn_fail(i, CODE_PROTOCOL_ERROR, "reserved frame type 0x%02x", type);
    }
    uint32_t limit = c->state == ST_HANDSHAKE ? T_HANDSHAKE_MAX_BODY : T_MAX_FRAME;
    if (c->body_len > limit) {
        return conn_fail(i, CODE_FRAME_TOO_LARGE, "frame body of %u bytes over our %u", c->body_len, limit);
    }
    if (type <= T_CLOSE) {
        uint8_t allowed = type == T_HELLO || type == T_WELCOME || type == T_DATA ? 0x03 : 0x00;
        if (flags & ~allowed) {
            return conn_fail(i, CODE_PROTOCOL_ERROR, "reserved flags 0x%02x on type 0x%02x", flags, type);
        }
    }
    return 0;
}

static int on_welcome(int32_t i)
{
    struct conn *c = &conns[i];
    uint8_t flags = c->hdr[1];
    const uint8_t *b = c->keep;
    if (c->state != ST_HANDSHAKE) {
        return conn_fail(i, CODE_PROTOCOL_ERROR, "a second WELCOME");
    }
    uint32_t length = c->body_len;
    if (length < T_WELCOME_FIXED || b[0] != 1 || get_u32(b + 1) == 0 || get_u32(b + 5) == 0
        || get_u32(b + 9) < 1024 || get_u16(b + 51) > 256 || T_WELCOME_FIXED + (uint32_t)get_u16(b + 51) > length) {
        return conn_fail(i, CODE_PROTOCOL_ERROR, "malformed WELCOME");
    }
    int asked = opt.sessions && !is_sender;
    if ((flags & F_RESUMED) || ((flags & F_SESSION) && !asked)) {
        return conn_fail(i, CODE_PROTOCOL_ERROR, "WELCOME flags 0x%02x do not answer our HELLO", flags);
    }
    c->session = (uint8_t)(flags & F_SESSION);
    if (c->session) {
        st.sessions++;
    }
    c->interval_ms = get_u32(b + 1);
    c->peer_max = get_u32(b + 9);
    conn_opened(i);
    return 0;
}

static int on_data(int32_t i)
{
    struct conn *c = &conns[i];
    uint8_t flags = c->hdr[1];
    uint32_t offset = (flags & F_SEQ ? 8u : 0u) + (flags & F_ACK ? 8u : 0u);
    if (c->body_len < offset) {
        return conn_fail(i, CODE_PROTOCOL_ERROR, "DATA body of %u bytes too short for flags 0x%02x", c->body_len,
                         flags);
    }
    if (c->session ? !(flags & F_SEQ) : (flags & (F_SEQ | F_ACK)) != 0) {
        return conn_fail(i, CODE_PROTOCOL_ERROR, "DATA flags 0x%02x %s a session", flags,
                         c->session ? "in" : "outside");
    }
    if ((flags & F_ACK) && get_u64(c->keep + (flags & F_SEQ ? 8 : 0)) > 0) {
        return conn_fail(i, CODE_PROTOCOL_ERROR, "ack of a seq we never sent");
    }
    uint64_t seq = 0;
    if (flags & F_SEQ) {
        seq = get_u64(c->keep);
        if (seq <= c->last_seq) {
            st.duplicates++;            /* a retransmission: dropped silently (section 10.3) */
            return 0;
        }
        if (seq != c->last_seq + 1) {
            return conn_fail(i, CODE_PROTOCOL_ERROR, "gap: seq %llu after %llu", (unsigned long long)seq,
                             (unsigned long long)c->last_seq);
        }
    }
    if (is_sender) {
        st.echoes++;
    } else if (c->body_len - offset >= STAMP_BYTES && get_u64(c->keep + offset + 8) < (uint64_t)opt.messages) {
        int64_t *slot = &lat[(size_t)get_u64(c->keep + offset + 8) * (size_t)n_local + (size_t)i];
        if (*slot >= 0) {
            st.duplicates++;
        } else {
            *slot = arrival_ns - (int64_t)get_u64(c->keep + offset);
            st.delivered++;
        }
    } else {
        st.foreign++;                   /* not one of ours (someone else's message on the same server) */
    }
    if (flags & F_SEQ) {
        note_in_order(i, seq);
    }
    return 0;
}

/* A whole frame is in (its header in hdr[], the start of its body in keep[]). -1 if the connection ended. */
static int on_frame(int32_t i)
{
    struct conn *c = &conns[i];
    uint8_t type = c->hdr[0];
    uint32_t length = c->body_len;
    switch (type) {
    case T_CLOSE:
        conn_end(i, "CLOSE %u from the server", length >= 2 ? get_u16(c->keep) : 0u);
        return -1;
    case T_WELCOME:
        return on_welcome(i);
    case T_DATA:
        return on_data(i);
    case T_ACK:
        if (!c->session || length != 8 || get_u64(c->keep) > 0) {
            return conn_fail(i, CODE_PROTOCOL_ERROR, "ACK not allowed here");
        }
        return 0;
    case T_PING: {
        if (length != 8) {
            return conn_fail(i, CODE_PROTOCOL_ERROR, "PING with a %u-byte body", length);
        }
        uint8_t pong[T_HEADER + 8];
        st.server_pings++;
        return conn_send(i, pong, enc_u64_frame(pong, T_PONG, get_u64(c->keep)));
    }
    case T_PONG:
        if (length != 8) {
            return conn_fail(i, CODE_PROTOCOL_ERROR, "PONG with a %u-byte body", length);
        }
        st.pongs++;
        return 0;
    case T_GOAWAY:
        if (length < 10) {
            return conn_fail(i, CODE_PROTOCOL_ERROR, "GOAWAY body too short");
        }
        st.goaways++;                   /* keep going: the server closes when its drain ends */
        return 0;
    case T_HELLO:
        return conn_fail(i, CODE_PROTOCOL_ERROR, "HELLO from the server");
    default:
        return 0;                       /* extension frames 0x40-0x7F: skipped by length (section 4.3) */
    }
}

/* Feeds received bytes through the frame parser, whatever their split. -1 if the connection ended. */
static int conn_feed(int32_t i, const uint8_t *p, size_t n)
{
    struct conn *c = &conns[i];
    while (n > 0) {
        if (!c->in_body) {
            c->hdr[c->hdr_have++] = *p++;
            n--;
            if (c->hdr_have < T_HEADER) {
                continue;
            }
            if (header_check(i) < 0) {
                return -1;
            }
            c->in_body = 1;
            c->body_have = 0;
        } else {
            size_t take = c->body_len - c->body_have < n ? c->body_len - c->body_have : n;
            if (c->body_have < KEEP) {
                size_t kept = KEEP - c->body_have < take ? KEEP - c->body_have : take;
                memcpy(c->keep + c->body_have, p, kept);
            }
            c->body_have += (uint32_t)take;
            p += take;
            n -= take;
        }
        if (c->body_have == c->body_len) {
            c->in_body = 0;
            c->hdr_have = 0;
            if (on_frame(i) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* One read per readiness (level-triggered, as fanout_floor's receivers), more only while reads fill the buffer. */
static void conn_read(int32_t i)
{
    static uint8_t buffer[65536];
    for (;;) {
        ssize_t n = recv(conns[i].fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            arrival_ns = now_ns();
            if (conn_feed(i, buffer, (size_t)n) < 0 || (size_t)n < sizeof buffer) {
                return;
            }
            continue;
        }
        if (n == 0) {
            conn_end(i, "closed by the server (EOF)");
            return;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            conn_end(i, "recv: %s", strerror(errno));
        }
        return;
    }
}

static void on_event(int32_t i, uint32_t events)
{
    struct conn *c = &conns[i];
    if (c->state == ST_CLOSED) {
        return;
    }
    if (c->state == ST_CONNECTING) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            return;
        }
        int error = 0;
        socklen_t size = sizeof error;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &size);
        if (error != 0) {
            conn_end(i, "connect: %s", strerror(error));
            return;
        }
        on_connected(i);
        return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        conn_read(i);
    }
    if (c->state != ST_CLOSED && (events & EPOLLOUT)) {
        conn_flush(i);
    }
}

/* Acks due, set-up deadlines, heartbeats (a PING when nothing was sent for the decided interval, section 8). */
static void tick(void)
{
    int64_t now = now_ms();
    if (ackq_len > 0) {
        int kept = 0;
        for (int j = 0; j < ackq_len; j++) {
            int32_t i = ackq[j];
            struct conn *c = &conns[i];
            if (c->state != ST_OPEN || c->acked_seq == c->last_seq) {
                c->ack_queued = 0;
            } else if (now - c->first_unacked_ms >= ACK_DELAY_MS) {
                c->ack_queued = 0;
                send_ack(i);
            } else {
                ackq[kept++] = i;
            }
        }
        ackq_len = kept;
    }
    if (now < next_scan_ms) {
        return;
    }
    next_scan_ms = now + SCAN_MS;
    for (int32_t i = 0; i < n_local; i++) {
        struct conn *c = &conns[i];
        if (c->state == ST_CONNECTING || c->state == ST_HANDSHAKE) {
            if (now - c->setup_start_ms >= SETUP_DEADLINE_MS) {
                conn_end(i, c->state == ST_CONNECTING ? "connect timed out" : "no WELCOME within 15 s");
            }
        } else if (c->state == ST_OPEN && now - c->last_sent_ms >= (int64_t)c->interval_ms) {
            uint8_t ping[T_HEADER + 8];
            if (conn_send(i, ping, enc_u64_frame(ping, T_PING, (uint64_t)now_ns() / 1000u)) == 0) {
                st.pings_sent++;
            }
        }
    }
}

/* One round of the event loop: wait at most timeout_ms (10 ms while acks are pending), handle events, tick. */
static void poll_once(int timeout_ms)
{
    static struct epoll_event events[1024];
    if (ackq_len > 0 && timeout_ms > 10) {
        timeout_ms = 10;
    }
    int n = epoll_wait(epoll_fd, events, 1024, timeout_ms);
    for (int k = 0; k < n; k++) {
        uint32_t tag = events[k].data.u32;
        if (tag & PIPE_TAG) {
            on_pipe(tag & ~PIPE_TAG);
        } else {
            on_event((int32_t)tag, events[k].events);
        }
    }
    tick();
}

/* Closes every connection: any pending ack first (section 10.4), then CLOSE 1000; best effort, never waits. */
static void close_all(void)
{
    uint8_t frames[T_HEADER + 8 + 14];
    for (int32_t i = 0; i < n_local; i++) {
        struct conn *c = &conns[i];
        if (c->state == ST_CLOSED || c->fd < 0) {
            continue;
        }
        if (c->state == ST_OPEN && c->out_len == 0) {
            size_t length = 0;
            if (c->session && c->last_seq > c->acked_seq) {
                length = enc_u64_frame(frames, T_ACK, c->last_seq);
            }
            length += enc_close(frames + length, CODE_NORMAL);
            ssize_t ignored = send(c->fd, frames, length, MSG_NOSIGNAL | MSG_DONTWAIT);
            (void)ignored;
        }
        close(c->fd);
        c->fd = -1;
    }
}

static int setup_process(int count)
{
    n_local = count;
    conns = calloc((size_t)count, sizeof *conns);
    ackq = calloc((size_t)count, sizeof *ackq);
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (!conns || !ackq || epoll_fd < 0) {
        return -1;
    }
    for (int i = 0; i < count; i++) {
        conns[i].fd = -1;
    }
    return 0;
}

/* ---- a receiver process ----------------------------------------------------------------------------------------- */

static int control_fd = -1, report_fd = -1;
static int stop_seen, quit_seen;
static int64_t drain_deadline_ms;

static void child_on_pipe(uint32_t index)
{
    (void)index;
    char buffer[16];
    ssize_t n = read(control_fd, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n <= 0) {
        quit_seen = 1;                  /* the parent is gone */
        return;
    }
    for (ssize_t k = 0; k < n; k++) {
        if (buffer[k] == 'S' && !stop_seen) {
            stop_seen = 1;
            drain_deadline_ms = now_ms() + (int64_t)opt.drain_s * 1000;
        } else if (buffer[k] == 'Q') {
            quit_seen = 1;
        }
    }
}

/* A record small enough to be written at once (it is far below PIPE_BUF), so it never blocks the event loop. */
static int send_report(int kind)
{
    struct report r = st;
    r.kind = kind;
    return write_full(report_fd, &r, sizeof r);
}

static int receiver_process(int index, int first, int count)
{
    first_global = first;
    concurrency_local = (opt.concurrency + opt.processes - 1) / opt.processes;
    on_pipe = child_on_pipe;
    lat = malloc(sizeof(int64_t) * (size_t)count * (size_t)opt.messages);
    if (setup_process(count) != 0 || !lat) {
        fprintf(stderr, "fanout_receivers: process %d: out of memory or epoll_create1 failed\n", index);
        return 1;
    }
    for (size_t k = 0; k < (size_t)count * (size_t)opt.messages; k++) {
        lat[k] = -1;
    }
    struct epoll_event event = { .events = EPOLLIN, .data.u32 = PIPE_TAG };
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, control_fd, &event);

    int started = 0;
    int64_t next_note = now_ms() + 2000;
    while (!quit_seen) {
        while (started < count && inflight < concurrency_local) {
            conn_start(started++);
        }
        if (started == count && inflight == 0) {
            break;
        }
        poll_once(100);
        if (now_ms() >= next_note) {
            next_note = now_ms() + 2000;
            fprintf(stderr, "fanout_receivers: process %d: %d open, %d failed, %ld in flight of %d\n", index, st.open,
                    st.failed, inflight, count);
        }
    }
    if (!quit_seen && send_report('R') != 0) {
        quit_seen = 1;
    }

    /* Done once every copy is in, or --drain seconds after the last send; keep serving (acks, pings) until the
     * parent has heard from every process and says quit; only then send the latencies (which may block). */
    int64_t expected = (int64_t)count * opt.messages;
    int reported = 0;
    while (!quit_seen) {
        poll_once(100);
        if (!reported && (st.delivered >= expected || (stop_seen && now_ms() >= drain_deadline_ms))) {
            if (send_report('D') != 0) {
                break;
            }
            reported = 1;
        }
    }
    if (reported) {
        write_full(report_fd, lat, sizeof(int64_t) * (size_t)n_local * (size_t)opt.messages);
    }
    close_all();
    char who[32];
    snprintf(who, sizeof who, "process %d", index);
    print_reasons(who);
    return 0;
}

/* ---- the parent: coordinator and sender ------------------------------------------------------------------------- */

static struct child {
    pid_t pid;
    int report_fd, control_fd;
    int first, count;
    int state;                          /* 0 connecting, 1 ready, 2 done, -1 gone */
    struct report ready, done;
} kids[MAX_PROCESSES];

static void parent_on_pipe(uint32_t index)
{
    struct child *k = &kids[index];
    struct report r;
    if (read_full(k->report_fd, &r, sizeof r) != 0) {
        k->state = -1;
        epoll_ctl(epoll_fd, EPOLL_CTL_DEL, k->report_fd, NULL);
        return;
    }
    if (r.kind == 'R') {
        k->ready = r;
        k->state = 1;
    } else {
        k->done = r;
        k->state = 2;
        epoll_ctl(epoll_fd, EPOLL_CTL_DEL, k->report_fd, NULL); /* the latencies follow the quit command */
    }
}

static void tell_children(char c)
{
    for (int p = 0; p < opt.processes; p++) {
        if (kids[p].control_fd >= 0 && write_full(kids[p].control_fd, &c, 1) != 0) {
            close(kids[p].control_fd);
            kids[p].control_fd = -1;
        }
    }
}

static void reap_children(void)
{
    tell_children('Q');
    for (int p = 0; p < opt.processes; p++) {
        if (kids[p].pid > 0) {
            while (waitpid(kids[p].pid, NULL, 0) < 0 && errno == EINTR) {
            }
            kids[p].pid = 0;
        }
    }
}

static void on_alarm(int signal_number)
{
    (void)signal_number;
    static const char text[] = "fanout_receivers: time limit reached, giving up\n";
    ssize_t ignored = write(2, text, sizeof text - 1);
    (void)ignored;
    for (int p = 0; p < opt.processes; p++) {
        if (kids[p].pid > 0) {
            kill(kids[p].pid, SIGKILL);
        }
    }
    _exit(1);
}

/* Waits until every child has reached state `want` (1 ready, 2 done); -1 if one went away. */
static int wait_children(int want)
{
    for (;;) {
        int all = 1;
        for (int p = 0; p < opt.processes; p++) {
            if (kids[p].state < 0) {
                return -1;
            }
            if (kids[p].state < want) {
                all = 0;
            }
        }
        if (all) {
            return 0;
        }
        poll_once(100);
    }
}

/* Writes a whole DATA frame on the sender connection (it may exceed out[]), waiting for room if needed. */
static int sender_write(const uint8_t *frame, size_t length)
{
    struct conn *c = &conns[0];
    size_t done = 0;
    while (done < length) {
        if (c->state != ST_OPEN) {
            return -1;
        }
        if (c->out_len > 0 && conn_flush(0) < 0) {
            return -1;
        }
        ssize_t n = c->out_len > 0 ? -1 : send(c->fd, frame + done, length - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && c->out_len == 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            conn_end(0, "send: %s", strerror(errno));
            return -1;
        }
        struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
        poll(&pfd, 1, 100);
    }
    c->last_sent_ms = now_ms();
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array, in ms; -1 when empty. */
static double pct_ms(const int64_t *sorted, size_t n, double p)
{
    if (n == 0) {
        return -1;
    }
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999999);
    rank = rank < 1 ? 1 : rank > n ? n : rank;
    return (double)sorted[rank - 1] / 1e6;
}

static int run(void)
{
    int n = opt.connections, procs = opt.processes, k_msgs = opt.messages;
    signal(SIGPIPE, SIG_IGN);
    pid_t parent = getpid();
    for (int p = 0; p < procs; p++) {
        kids[p].first = (int)((int64_t)n * p / procs);
        kids[p].count = (int)((int64_t)n * (p + 1) / procs) - kids[p].first;
        int report[2], control[2];
        if (pipe2(report, O_CLOEXEC) != 0 || pipe2(control, O_CLOEXEC) != 0) {
            perror("fanout_receivers: pipe");
            reap_children();
            return 1;
        }
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fanout_receivers: fork");
            reap_children();
            return 1;
        }
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent) {
                _exit(1);
            }
            signal(SIGALRM, SIG_DFL);
            alarm(0);
            for (int q = 0; q < p; q++) {
                close(kids[q].report_fd);
                if (kids[q].control_fd >= 0) {
                    close(kids[q].control_fd);
                }
            }
            close(report[0]);
            close(control[1]);
            report_fd = report[1];
            control_fd = control[0];
            exit(receiver_process(p, kids[p].first, kids[p].count));
        }
        close(report[1]);
        close(control[0]);
        kids[p].pid = pid;
        kids[p].report_fd = report[0];
        kids[p].control_fd = control[1];
    }

    /* The parent's own event loop: one connection (the sender) and the report pipes. */
    is_sender = 1;
    first_global = n;
    on_pipe = parent_on_pipe;
    if (setup_process(1) != 0) {
        fprintf(stderr, "fanout_receivers: out of memory or epoll_create1 failed\n");
        reap_children();
        return 1;
    }
    for (int p = 0; p < procs; p++) {
        struct epoll_event event = { .events = EPOLLIN, .data.u32 = PIPE_TAG | (uint32_t)p };
        epoll_ctl(epoll_fd, EPOLL_CTL_ADD, kids[p].report_fd, &event);
    }

    int64_t t_connect = now_ns();
    int ready = wait_children(1);
    long open = 0, failed = 0, dropped = 0;
    for (int p = 0; p < procs; p++) {
        open += kids[p].ready.open;
        failed += kids[p].ready.failed;
        dropped += kids[p].ready.dropped;
    }
    if (ready != 0 || open != n) {
        fprintf(stderr, "fanout_receivers: only %ld of %d receivers open (%ld failed, %ld dropped%s); giving up\n",
                open, n, failed, dropped, ready != 0 ? ", a receiver process ended" : "");
        reap_children();
        return 1;
    }
    double connect_s = (double)(now_ns() - t_connect) / 1e9;

    conn_start(0);
    while (conns[0].state == ST_CONNECTING || conns[0].state == ST_HANDSHAKE) {
        poll_once(100);
    }
    if (conns[0].state != ST_OPEN || (uint32_t)opt.size > conns[0].peer_max) {
        fprintf(stderr, "fanout_receivers: the sender connection did not open%s\n",
                conns[0].state == ST_OPEN ? " (--size above the server's maxFrameSize)" : "");
        print_reasons("sender");
        reap_children();
        return 1;
    }
    long sessions = 0;
    for (int p = 0; p < procs; p++) {
        sessions += kids[p].ready.sessions;
    }
    fprintf(stderr, "fanout_receivers: %d receivers open in %.1f s (%ld with a session); broadcasting %d x %d bytes\n",
            n, connect_s, sessions, k_msgs, opt.size);

    /* The broadcast phase. */
    uint8_t *frame = malloc(T_HEADER + (size_t)opt.size);
    if (!frame) {
        reap_children();
        return 1;
    }
    size_t head = enc_data_head(frame, 0, 0, 0, (size_t)opt.size);
    memset(frame + head, 'x', (size_t)opt.size);
    long long cpu_before = opt.pid > 0 ? read_cpu_ticks(opt.pid) : -1;
    int64_t phase_start = now_ns();
    int sent = 0;
    for (int k = 0; k < k_msgs; k++) {
        int64_t due = phase_start + (int64_t)(k + 1) * opt.interval_ms * 1000000;
        for (int64_t left; (left = due - now_ns()) > 0;) {
            poll_once((int)((left + 999999) / 1000000));
        }
        if (conns[0].state != ST_OPEN) {
            break;
        }
        put_u64(frame + head, (uint64_t)now_ns());
        put_u64(frame + head + 8, (uint64_t)k);
        if (sender_write(frame, head + (size_t)opt.size) != 0) {
            break;
        }
        sent++;
    }
    free(frame);
    tell_children('S');
    int finished = wait_children(2);
    int64_t phase_end = now_ns();
    long long cpu_after = opt.pid > 0 ? read_cpu_ticks(opt.pid) : -1;

    /* Collect the latencies: told to quit, each process sends its rows, message by message, then closes. */
    tell_children('Q');
    size_t cells = (size_t)k_msgs * (size_t)n;
    int64_t *matrix = malloc(sizeof(int64_t) * cells);
    if (!matrix) {
        reap_children();
        return 1;
    }
    for (size_t c = 0; c < cells; c++) {
        matrix[c] = -1;
    }
    struct report sum = { 0 };
    for (int p = 0; p < procs && finished == 0; p++) {
        for (int k = 0; k < k_msgs; k++) {
            if (read_full(kids[p].report_fd, matrix + (size_t)k * n + kids[p].first,
                          sizeof(int64_t) * (size_t)kids[p].count) != 0) {
                finished = -1;
                break;
            }
        }
        struct report *d = &kids[p].done;
        sum.sessions += d->sessions;
        sum.dropped += d->dropped;
        sum.delivered += d->delivered;
        sum.duplicates += d->duplicates;
        sum.foreign += d->foreign;
        sum.server_pings += d->server_pings;
        sum.pings_sent += d->pings_sent;
        sum.acks_sent += d->acks_sent;
        sum.goaways += d->goaways;
    }
    reap_children();
    close_all();
    if (finished != 0) {
        fprintf(stderr, "fanout_receivers: a receiver process ended before reporting\n");
        return 1;
    }

    /* Statistics. */
    int64_t *all_have = calloc((size_t)k_msgs, sizeof(int64_t));
    int64_t *receipts = malloc(sizeof(int64_t) * cells);
    if (!all_have || !receipts) {
        return 1;
    }
    size_t n_receipts = 0, n_seen = 0;
    long long missing = 0;
    fprintf(stderr, "fanout_receivers: all_have_it_ms per message:");
    for (int k = 0; k < k_msgs; k++) {
        int64_t worst = -1;
        for (int g = 0; g < n; g++) {
            int64_t v = matrix[(size_t)k * n + g];
            if (v < 0) {
                missing++;
                continue;
            }
            receipts[n_receipts++] = v;
            worst = v > worst ? v : worst;
        }
        if (worst >= 0) {
            all_have[n_seen++] = worst;     /* with copies missing: the last of those received */
            fprintf(stderr, " %.2f", (double)worst / 1e6);
        } else {
            fprintf(stderr, " -");          /* nobody got it: left out of the percentiles */
        }
    }
    fprintf(stderr, "\n");
    qsort(all_have, n_seen, sizeof(int64_t), cmp_i64);
    qsort(receipts, n_receipts, sizeof(int64_t), cmp_i64);
    char cpu_pct[32] = "n/a";
    double phase_s = (double)(phase_end - phase_start) / 1e9;
    if (cpu_before >= 0 && cpu_after >= 0 && phase_s > 0) {
        snprintf(cpu_pct, sizeof cpu_pct, "%.1f",
                 (double)(cpu_after - cpu_before) / (double)sysconf(_SC_CLK_TCK) / phase_s * 100.0);
    }
    printf("fanout_receivers: connections=%d processes=%d sessions=%s messages=%d size=%d all_have_it_p50_ms=%.3f "
           "all_have_it_p99_ms=%.3f all_have_it_max_ms=%.3f delivery_p50_ms=%.3f delivery_p99_ms=%.3f "
           "delivered=%lld missing=%lld server_cpu_pct=%s sent=%d interval_ms=%d sessions_granted=%d dropped=%d "
           "duplicates=%lld acks_sent=%lld pings_sent=%lld server_pings=%lld connect_s=%.1f "
           "phase_s=%.1f\n",
           n, procs, opt.sessions ? "on" : "off", k_msgs, opt.size, pct_ms(all_have, n_seen, 50),
           pct_ms(all_have, n_seen, 99), pct_ms(all_have, n_seen, 100),
           pct_ms(receipts, n_receipts, 50), pct_ms(receipts, n_receipts, 99), (long long)n_receipts, missing,
           cpu_pct, sent, opt.interval_ms, sum.sessions, sum.dropped, (long long)sum.duplicates,
           (long long)sum.acks_sent, (long long)sum.pings_sent, (long long)sum.server_pings,
           connect_s, phase_s);
    fflush(stdout);
    if (sum.foreign > 0) {
        fprintf(stderr, "fanout_receivers: %lld DATA that were not ours (another client on the same server?)\n",
                (long long)sum.foreign);
    }
    free(all_have);
    free(receipts);
    free(matrix);
    return missing > 0 ? 1 : 0;
}

/* ---- self-test -------------------------------------------------------------------------------------------------- */

static size_t from_hex(uint8_t *out, const char *hex)
{
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned byte;
        sscanf(hex, "%2x", &byte);
        out[n++] = (uint8_t)byte;
    }
    return n;
}

static int expect_bytes(const char *what, const uint8_t *got, size_t got_len, const char *hex)
{
    uint8_t want[512];
    size_t want_len = from_hex(want, hex);
    if (got_len == want_len && memcmp(got, want, want_len) == 0) {
        fprintf(stderr, "ok    %s\n", what);
        return 0;
    }
    fprintf(stderr, "FAIL  %s: got ", what);
    for (size_t k = 0; k < got_len; k++) {
        fprintf(stderr, "%02x", got[k]);
    }
    fprintf(stderr, "\n      want %s\n", hex);
    return 1;
}

static int expect(const char *what, long long got, long long want)
{
    fprintf(stderr, "%s  %s (%lld, want %lld)\n", got == want ? "ok  " : "FAIL", what, got, want);
    return got != want;
}

/* Feeds bytes to connection 0 one at a time over its socketpair, so that every read returns one byte. */
static void feed_bytes(int peer, const uint8_t *bytes, size_t n)
{
    for (size_t k = 0; k < n && conns[0].state != ST_CLOSED; k++) {
        if (write(peer, bytes + k, 1) != 1) {
            return;
        }
        conn_read(0);
    }
}

static void feed_hex(int peer, const char *hex)
{
    uint8_t bytes[512];
    feed_bytes(peer, bytes, from_hex(bytes, hex));
}

/* Everything the connection has written so far (the peer end is non-blocking). */
static size_t drain_peer(int peer, uint8_t *out, size_t size)
{
    ssize_t n = read(peer, out, size);
    return n > 0 ? (size_t)n : 0;
}

/* Connection 0 over a socketpair, HELLO sent (and checked by the caller); the server's end in *peer. */
static int test_connection(int sessions, int *peer)
{
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair) != 0) {
        return -1;
    }
    opt.sessions = sessions;
    memset(&st, 0, sizeof st);
    inflight = 1;
    ackq_len = 0;
    memset(&conns[0], 0, sizeof conns[0]);
    for (size_t k = 0; k < (size_t)opt.messages; k++) {
        lat[k] = -1;
    }
    conns[0].fd = pair[0];
    conns[0].state = ST_CONNECTING;
    on_connected(0);
    *peer = pair[1];
    return 0;
}

/* One of our DATA frames (stamp = now - age_ns, the given index) with the given flags/seq/ack, as the server sends. */
static size_t our_data(uint8_t *p, uint8_t flags, uint64_t seq, uint64_t ack, uint64_t index, int64_t age_ns)
{
    size_t head = enc_data_head(p, flags, seq, ack, 24);
    put_u64(p + head, (uint64_t)(now_ns() - age_ns));
    put_u64(p + head + 8, index);
    memset(p + head + 16, 'x', 8);
    return head + 24;
}

static int self_test(void)
{
    int failures = 0, peer;
    uint8_t frame[512];
    size_t n;
    static struct conn one[1];
    static int64_t one_lat[64];
    static int32_t one_ackq[1];
    conns = one;
    lat = one_lat;
    ackq = one_ackq;
    n_local = 1;
    opt.messages = 64;
    opt.heartbeat_s = 30;

    /* Encoders against the valid vectors of docs/protocol.md section 17.2. */
    n = enc_hello(frame, 0, 0, 0, 1048576, "", NULL, 0);
    failures += expect_bytes("V1 hello-minimal-anonymous", frame, n,
        "01000000002e54544852010100000000000000000010000000000000000000000000000000000000000000000000000000000000");
    const uint8_t token[] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0xc0, 0xff, 0xee };
    n = enc_hello(frame, F_SESSION, 10000, 25000, 65536, "sensor-42", token, sizeof token);
    failures += expect_bytes("V2 hello-session-client-id-token", frame, n,
        "01010000003f54544852010100002710000061a8000100000000000000000000000000000000000000000000000000000009"
        "73656e736f722d34320008deadbeef00c0ffee");
    n = enc_data_head(frame, 0, 0, 0, 0);
    failures += expect_bytes("V10 data-empty", frame, n, "030000000000");
    n = enc_data_head(frame, 0, 0, 0, 5);
    memcpy(frame + n, "hello", 5);
    failures += expect_bytes("V11 data-plain", frame, n + 5, "03000000000568656c6c6f");
    n = enc_data_head(frame, F_SEQ, 1, 0, 5);
    memcpy(frame + n, "hello", 5);
    failures += expect_bytes("V12 data-seq", frame, n + 5, "03010000000d000000000000000168656c6c6f");
    n = enc_data_head(frame, F_SEQ | F_ACK, 42, 17, 5);
    memcpy(frame + n, "hello", 5);
    failures += expect_bytes("V13 data-seq-ack", frame, n + 5,
                             "030300000015000000000000002a000000000000001168656c6c6f");
    failures += expect_bytes("V16 ack", frame, enc_u64_frame(frame, T_ACK, 32), "0400000000080000000000000020");
    failures += expect_bytes("V17 ping", frame, enc_u64_frame(frame, T_PING, 123456789),
                             "05000000000800000000075bcd15");
    failures += expect_bytes("V18 pong", frame, enc_u64_frame(frame, T_PONG, 123456789),
                             "06000000000800000000075bcd15");
    failures += expect_bytes("V19 ping-max-u64", frame, enc_u64_frame(frame, T_PING, UINT64_MAX),
                             "050000000008ffffffffffffffff");
    failures += expect_bytes("V21 close-normal", frame, enc_close(frame, CODE_NORMAL), "08000000000803e8000000000000");

    /* Sessions on, every byte read alone: HELLO out, WELCOME V6 in; PING V17 answered with PONG V18; extension frames
     * (V26, V27), GOAWAY V20 and PONG V18 skipped; DATA V12 (seq 1, not ours) counted as foreign; our DATA seq 2..32
     * timed, the 32nd in order answered with ACK V16 (ack 32); a duplicate seq dropped; a SEQ|ACK DATA (seq 33, ack 0)
     * timed, and acknowledged by the 200 ms timer; then V13 (seq 42: a gap) closes with PROTOCOL_ERROR. */
    if (test_connection(1, &peer) != 0) {
        return 1;
    }
    n = drain_peer(peer, frame, sizeof frame);
    failures += expect_bytes("HELLO with SESSION, interval 30000 ms, maxFrameSize 1 MiB", frame, n,
        "01010000002e54544852010100007530000000000010000000000000000000000000000000000000000000000000000000000000");
    feed_hex(peer, "02010000003b0100002710000061a80010000000000000000000029f86d081884c7d659a2feaa0c55ad015"
                   "000000000000000000000000000000066e6f64652d61");
    failures += expect("V6 welcome-new-session opens the connection", conns[0].state, ST_OPEN);
    failures += expect("session granted", st.sessions, 1);
    failures += expect("decided interval (ms)", conns[0].interval_ms, 10000);
    feed_hex(peer, "05000000000800000000075bcd15");
    n = drain_peer(peer, frame, sizeof frame);
    failures += expect_bytes("V17 PING answered with V18 PONG", frame, n, "06000000000800000000075bcd15");
    feed_hex(peer, "40000000000400010203" "7f8000000000"
                   "07000000002c000013880000753000117365727665722072657374617274696e670001000d31302e302e302e"
                   "323a37343437"
                   "06000000000800000000075bcd15");
    failures += expect("V26, V27, V20, V18 skipped; still open", conns[0].state, ST_OPEN);
    failures += expect("goaways seen", st.goaways, 1);
    failures += expect("pongs seen", st.pongs, 1);
    feed_hex(peer, "03010000000d000000000000000168656c6c6f");
    failures += expect("V12 (seq 1, payload not ours) counted as foreign", st.foreign, 1);
    for (uint64_t seq = 2; seq <= 32; seq++) {
        n = our_data(frame, F_SEQ, seq, 0, seq - 2, 3000000);
        feed_bytes(peer, frame, n);
    }
    failures += expect("31 of ours delivered", st.delivered, 31);
    failures += expect("latency of message 0 at least the 3 ms stamp age", lat[0] >= 3000000, 1);
    failures += expect("latency of message 0 below 1 s", lat[0] < 1000000000, 1);
    n = drain_peer(peer, frame, sizeof frame);
    failures += expect_bytes("32 in order: ACK V16 (ack 32)", frame, n, "0400000000080000000000000020");
    n = our_data(frame, F_SEQ, 5, 0, 3, 0);
    feed_bytes(peer, frame, n);
    failures += expect("duplicate seq 5 dropped", st.duplicates == 1 && st.delivered == 31, 1);
    n = our_data(frame, F_SEQ | F_ACK, 33, 0, 31, 0);
    feed_bytes(peer, frame, n);
    failures += expect("SEQ|ACK DATA: payload found after seq and ack", lat[31] >= 0 && st.delivered == 32, 1);
    tick();
    failures += expect("no ACK before 200 ms", drain_peer(peer, frame, sizeof frame), 0);
    usleep((ACK_DELAY_MS + 20) * 1000);
    tick();
    n = drain_peer(peer, frame, sizeof frame);
    failures += expect_bytes("ACK 33 after 200 ms", frame, n, "0400000000080000000000000021");
    feed_hex(peer, "030300000015000000000000002a000000000000001168656c6c6f");
    failures += expect("V13 (seq 42 after 33: a gap) drops the connection", st.dropped, 1);
    n = drain_peer(peer, frame, sizeof frame);
    failures += expect_bytes("  with CLOSE 1002", frame, n, "08000000000803ea000000000000");
    close(peer);

    /* Sessions off: HELLO without flags; WELCOME V5; V11, V15, V10 not ours; our DATA timed; CLOSE V22 ends it. */
    if (test_connection(0, &peer) != 0) {
        return 1;
    }
    n = drain_peer(peer, frame, sizeof frame);
    failures += expect_bytes("HELLO without flags", frame, n,
        "01000000002e54544852010100007530000000000010000000000000000000000000000000000000000000000000000000000000");
    feed_hex(peer, "02000000003b0100007530000124f80010000000000000000000010000000000000000000000000000000000"
                   "0000000000000000000000000000066e6f64652d61");
    failures += expect("V5 welcome-no-session opens the connection", conns[0].state, ST_OPEN);
    failures += expect("no session", conns[0].session, 0);
    feed_hex(peer, "03000000000568656c6c6f" "03000000000a68c3a96c6c6f20e29c93" "030000000000");
    failures += expect("V11, V15, V10 counted as foreign", st.foreign, 3);
    n = our_data(frame, 0, 0, 0, 7, 0);
    feed_bytes(peer, frame, n);
    failures += expect("our DATA without flags timed", lat[7] >= 0 && st.delivered == 1, 1);
    feed_hex(peer, "08000000001903ee0000000000116865617274626561742074696d656f7574");
    failures += expect("V22 CLOSE 1006 drops the connection", st.dropped, 1);
    close(peer);

    /* The frame-level invalid vectors of section 17.3 (after a session WELCOME), each fed byte by byte: the
     * connection must end with CLOSE and the vector's code. I16 needs a 1024-byte maximum and is left out. */
    static const struct { const char *name, *hex; uint16_t code; } invalid[] = {
        { "I1 reserved-type-0x00", "000000000000", CODE_PROTOCOL_ERROR },
        { "I2 reserved-type-0x09", "09000000000400000000", CODE_PROTOCOL_ERROR },
        { "I3 reserved-type-0x3f", "3f0000000000", CODE_PROTOCOL_ERROR },
        { "I4 reserved-type-0x80", "8000000000020102", CODE_PROTOCOL_ERROR },
        { "I5 reserved-type-0xff", "ff0000000000", CODE_PROTOCOL_ERROR },
        { "I6 data-reserved-flag-0x04", "03040000000568656c6c6f", CODE_PROTOCOL_ERROR },
        { "I7 data-reserved-flag-0x80", "03800000000568656c6c6f", CODE_PROTOCOL_ERROR },
        { "I8 ping-reserved-flag-0x01", "0501000000080000000000000001", CODE_PROTOCOL_ERROR },
        { "I9 ack-reserved-flag-0x02", "0402000000080000000000000001", CODE_PROTOCOL_ERROR },
        { "I10 ping-body-length-7", "05000000000700000000075bcd", CODE_PROTOCOL_ERROR },
        { "I11 pong-body-length-9", "06000000000900000000075bcd1500", CODE_PROTOCOL_ERROR },
        { "I12 ack-body-length-4", "04000000000400000020", CODE_PROTOCOL_ERROR },
        { "I13 data-seq-body-too-short", "0301000000050000000001", CODE_PROTOCOL_ERROR },
        { "I14 data-seq-ack-body-12", "03030000000c000000000000002a00000011", CODE_PROTOCOL_ERROR },
        { "I15 data-ack-body-too-short", "03020000000400000011", CODE_PROTOCOL_ERROR },
        { "I17 header-length-0xffffffff", "0300ffffffff", CODE_FRAME_TOO_LARGE },
    };
    for (size_t v = 0; v < sizeof invalid / sizeof invalid[0]; v++) {
        if (test_connection(1, &peer) != 0) {
            return 1;
        }
        drain_peer(peer, frame, sizeof frame);
        feed_hex(peer, "02010000003b0100002710000061a80010000000000000000000029f86d081884c7d659a2feaa0c55ad015"
                       "000000000000000000000000000000066e6f64652d61");
        feed_hex(peer, invalid[v].hex);
        n = drain_peer(peer, frame, sizeof frame);
        char want[64];
        snprintf(want, sizeof want, "080000000008%04x000000000000", invalid[v].code);
        failures += conns[0].state == ST_CLOSED ? expect_bytes(invalid[v].name, frame, n, want)
                                                : expect(invalid[v].name, conns[0].state, ST_CLOSED);
        close(peer);
    }

    /* During the handshake: a first frame other than WELCOME or CLOSE, and a WELCOME over 8192 bytes (I18's rule). */
    if (test_connection(1, &peer) != 0) {
        return 1;
    }
    drain_peer(peer, frame, sizeof frame);
    feed_hex(peer, "05000000000800000000075bcd15");
    failures += expect("PING before WELCOME refused", st.failed, 1);
    close(peer);
    if (test_connection(1, &peer) != 0) {
        return 1;
    }
    drain_peer(peer, frame, sizeof frame);
    feed_hex(peer, "020100002001");
    n = drain_peer(peer, frame, sizeof frame);
    failures += expect("WELCOME body over 8192 refused at its header", st.failed, 1);
    failures += expect_bytes("  with CLOSE 1004", frame, n, "08000000000803ec000000000000");
    close(peer);

    fprintf(stderr, failures ? "fanout_receivers: self-test: %d failure(s)\n" : "fanout_receivers: self-test passed\n",
            failures);
    return failures ? 1 : 0;
}

/* ---- command line ----------------------------------------------------------------------------------------------- */

static void usage_error(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "fanout_receivers: ");
    vfprintf(stderr, format, args);
    va_end(args);
    fprintf(stderr, " (usage: fanout_receivers --target 127.0.0.1:PORT --connections N [--processes 2] "
                    "[--sources A-B,C] [--messages 20] [--interval-ms 500] [--size 64] [--sessions on|off] "
                    "[--heartbeat 30] [--concurrency 256] [--drain 5] [--pid SERVER_PID] | --self-test)\n");
    exit(2);
}

static int parse_int(const char *name, const char *text, int min, int max)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || *end || end == text || value < min || value > max) {
        usage_error("%s must be a whole number in [%d, %d], not '%s'", name, min, max, text);
    }
    return (int)value;
}

static void parse_sources(const char *text)
{
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", text);
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *dash = strchr(item, '-');
        struct in_addr first, last;
        if (dash) {
            *dash = 0;
        }
        if (inet_pton(AF_INET, item, &first) != 1 || (dash && inet_pton(AF_INET, dash + 1, &last) != 1)) {
            usage_error("--sources: '%s' is not an IPv4 address or range", text);
        }
        uint32_t from = ntohl(first.s_addr), to = dash ? ntohl(last.s_addr) : from;
        if (to < from) {
            usage_error("--sources: range '%s' runs backwards", text);
        }
        for (uint64_t a = from; a <= to; a++) {
            if (opt.source_count == 256) {
                usage_error("--sources: at most 256 addresses");
            }
            opt.sources[opt.source_count++].s_addr = htonl((uint32_t)a);
        }
    }
}

static void parse_args(int argc, char **argv)
{
    int have_target = 0;
    for (int k = 1; k < argc; k++) {
        const char *name = argv[k];
        if (k + 1 >= argc) {
            usage_error("%s needs a value", name);
        }
        const char *value = argv[++k];
        if (strcmp(name, "--target") == 0) {
            char host[64];
            const char *colon = strrchr(value, ':');
            if (!colon || (size_t)(colon - value) >= sizeof host) {
                usage_error("--target must be IPv4:PORT, not '%s'", value);
            }
            memcpy(host, value, (size_t)(colon - value));
            host[colon - value] = 0;
            opt.target.sin_family = AF_INET;
            opt.target.sin_port = htons((uint16_t)parse_int("--target port", colon + 1, 1, 65535));
            if (inet_pton(AF_INET, host, &opt.target.sin_addr) != 1) {
                usage_error("--target must be IPv4:PORT, not '%s'", value);
            }
            have_target = 1;
        } else if (strcmp(name, "--connections") == 0) {
            opt.connections = parse_int(name, value, 1, 1 << 24);
        } else if (strcmp(name, "--processes") == 0) {
            opt.processes = parse_int(name, value, 1, MAX_PROCESSES);
        } else if (strcmp(name, "--sources") == 0) {
            parse_sources(value);
        } else if (strcmp(name, "--messages") == 0) {
            opt.messages = parse_int(name, value, 1, 100000);
        } else if (strcmp(name, "--interval-ms") == 0) {
            opt.interval_ms = parse_int(name, value, 0, 600000);
        } else if (strcmp(name, "--size") == 0) {
            opt.size = parse_int(name, value, STAMP_BYTES, 1 << 20);
        } else if (strcmp(name, "--sessions") == 0) {
            if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
                usage_error("--sessions must be on or off, not '%s'", value);
            }
            opt.sessions = strcmp(value, "on") == 0;
        } else if (strcmp(name, "--heartbeat") == 0) {
            opt.heartbeat_s = parse_int(name, value, 1, 3600);
        } else if (strcmp(name, "--concurrency") == 0) {
            opt.concurrency = parse_int(name, value, 1, 1 << 20);
        } else if (strcmp(name, "--drain") == 0) {
            opt.drain_s = parse_int(name, value, 1, 3600);
        } else if (strcmp(name, "--pid") == 0) {
            opt.pid = parse_int(name, value, 1, 1 << 30);
        } else {
            usage_error("unknown option '%s'", name);
        }
    }
    if (!have_target || opt.connections == 0) {
        usage_error("--target and --connections are required");
    }
    if (opt.processes > opt.connections) {
        usage_error("--processes (%d) must not exceed --connections (%d)", opt.processes, opt.connections);
    }
    if ((int64_t)opt.connections * opt.messages > (int64_t)1 << 28) {
        usage_error("--connections x --messages must stay below 2^28 latencies");
    }
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--self-test") == 0) {
        return self_test();
    }
    parse_args(argc, argv);

    struct rlimit files;
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
    int per_process = (opt.connections + opt.processes - 1) / opt.processes;
    if (files.rlim_max != RLIM_INFINITY && (rlim_t)per_process + RESERVED_FILES > files.rlim_max) {
        fprintf(stderr, "fanout_receivers: %d connections per process is more than the open-file limit (%llu) "
                        "minus %d; use more --processes\n",
                per_process, (unsigned long long)files.rlim_max, RESERVED_FILES);
        return 2;
    }
    if (opt.pid > 0 && read_cpu_ticks(opt.pid) < 0) {
        fprintf(stderr, "fanout_receivers: cannot read /proc/%d/stat\n", opt.pid);
        return 2;
    }
    signal(SIGALRM, on_alarm);
    alarm((unsigned)(120 + (int64_t)opt.messages * opt.interval_ms / 1000 + opt.drain_s));
    return run();
}
