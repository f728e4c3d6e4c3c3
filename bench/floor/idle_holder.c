/*
 * idle_holder: an independent load generator that holds N idle TCP connections against a server on loopback and
 * measures the server process from /proc, the way an outside reviewer checks a memory-per-connection claim. It shares
 * no code with Tether: one C file, Linux epoll, no dependencies; the Tether protocol is written from docs/protocol.md.
 *
 *   gcc -O2 -Wall -Wextra -Werror -o /tmp/idle_holder bench/floor/idle_holder.c
 *   /tmp/idle_holder --target 127.0.0.1:PORT --pid SERVER_PID --connections 19000 --protocol tether|raw|mqtt
 *                    --heartbeat 30 [--sources 127.0.0.2-127.0.0.5] [--concurrency 256] [--settle 10] [--measure 60]
 *   /tmp/idle_holder --self-test      (checks the encoders against docs/protocol.md's test vectors, then exits)
 *
 *   --target       IPv4 address and port of the server
 *   --pid          the server's process id, read from /proc/PID/status (VmRSS) and /proc/PID/stat (utime + stime)
 *   --connections  how many connections to hold (at most the hard open-file limit minus 50)
 *   --protocol     tether: HELLO with the SESSION flag (proposing --heartbeat as the interval), WELCOME expected, every
 *                         PING answered with a PONG echoing its value, a PING after the decided interval of sending
 *                         nothing; PONG, ACK, DATA, GOAWAY and unknown frames are read and skipped by their length
 *                  raw:    the 4 bytes "hb\r\n" every heartbeat; the echo is read and counted
 *                  mqtt:   MQTT 3.1.1 CONNECT (clean session, keep-alive = heartbeat, a unique client id), CONNACK
 *                         expected, PINGREQ every heartbeat, PINGRESP counted
 *   --heartbeat    seconds between heartbeats (default 30); each connection starts at a random phase in [0, heartbeat)
 *   --sources      source addresses to spread the connections over (round robin): a range A-B, a list A,B,... or both
 *                  (default: none, the kernel picks); each gets its own ephemeral port range
 *   --concurrency  connections being set up at once (TCP connect plus HELLO/WELCOME or CONNECT/CONNACK; default 256)
 *   --settle       seconds to wait once all are connected before reading VmRSS again (default 10)
 *   --measure      seconds of heartbeating over which the server's CPU time is measured (default 60)
 *
 * What it does: read the server's VmRSS; open the connections; wait --settle seconds; read VmRSS again; read the
 * server's utime + stime at the start and end of --measure seconds; print one line to stdout:
 *
 *   idle_holder: protocol=tether connections=19000 held=19000 failed=0 dropped=0 rss_before_kb=.. rss_after_kb=..
 *                bytes_per_conn=.. server_cpu_pct=.. pings_sent=.. pongs_received=.. ...
 *
 * bytes_per_conn = (rss_after_kb - rss_before_kb) * 1024 / held, where held counts the connections open when VmRSS was
 * read the second time. server_cpu_pct is a percentage of one core. "failed" counts connections that never became open
 * (connect error, refusal, no WELCOME/CONNACK within 15 s); "dropped" counts open connections that ended during the run
 * (reasons go to stderr). Exit status 0 when every connection was held to the end, 1 otherwise (with a one-line
 * error on stderr), 2 for a usage error, 128 + signal number after SIGINT/SIGTERM (the line is still printed with
 * what was measured so far). Progress goes to stderr, at most once a second while connecting.
 *
 * All heartbeats share one timing wheel (100 ms ticks), not a timer per connection; sockets are edge-triggered and
 * frames are reassembled from whatever each read returns, down to one byte at a time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define TICK_MS 100                 /* timing-wheel resolution */
#define WHEEL_SLOTS 4096            /* a power of two: one turn is 409.6 s, longer delays take several turns */
#define SETUP_DEADLINE_MS 15000     /* connect + handshake must finish within this */
#define RESERVED_FILES 50           /* descriptors kept back from --connections for stdio, epoll, /proc reads */
#define KEEP 16                     /* leading body bytes kept per frame: enough for every field we read */
#define OUT_MAX 96                  /* bytes one connection may have waiting for the socket (HELLO is 52) */
#define NIL (-1)

/* Tether protocol constants (docs/protocol.md sections 4 and 5). */
#define T_HELLO 0x01
#define T_WELCOME 0x02
#define T_PING 0x05
#define T_PONG 0x06
#define T_GOAWAY 0x07
#define T_CLOSE 0x08
#define T_FLAG_SESSION 0x01
#define T_HEADER 6
#define T_HANDSHAKE_MAX_BODY 8192
#define T_MAX_FRAME 1048576         /* what our HELLO announces, and so what we accept after WELCOME */
#define T_WELCOME_FIXED 53

enum protocol { PROTO_TETHER, PROTO_RAW, PROTO_MQTT };
static const char *const protocol_names[] = { "tether", "raw", "mqtt" };

enum state { ST_NEW, ST_CONNECTING, ST_HANDSHAKE, ST_OPEN, ST_CLOSED };

struct conn {
    int fd;
    uint8_t state;
    uint8_t in_body;        /* parser: 0 while collecting a header, 1 while reading a body */
    uint8_t hdr_have;       /* header bytes collected so far */
    uint8_t out_len;        /* bytes waiting in out[] for the socket to accept them */
    uint8_t hdr[8];
    uint8_t keep[KEEP];     /* the first KEEP bytes of the current body */
    uint32_t body_len, body_have;
    int32_t prev, next;     /* links in one timing-wheel slot */
    int64_t due;            /* tick the timer fires at; -1 when not in the wheel */
    int64_t last_sent;      /* tick of the last write (pings are traffic-aware) */
    uint32_t interval;      /* heartbeat interval in ticks */
    uint8_t out[OUT_MAX];
};

static struct {
    struct sockaddr_in target;
    int pid;
    int connections;
    enum protocol protocol;
    int heartbeat_s;
    struct in_addr sources[256];
    int source_count;
    int concurrency;
    int settle_s;
    int measure_s;
} opt = { .heartbeat_s = 30, .concurrency = 256, .settle_s = 10, .measure_s = 60, .pid = -1 };

static struct {
    long open, failed, dropped, inflight;
    long pings_sent, pongs_received, server_pings, goaways, sessions;
} stats;

/* Distinct end reasons with counts, reported on stderr. */
#define MAX_REASONS 24
static struct { char text[96]; long count; } reasons[MAX_REASONS];
static int reason_count;

static struct conn *conns;
static int32_t wheel[WHEEL_SLOTS];
static int64_t wheel_tick;          /* the last tick whose slot was processed */
static int64_t now_tick;
static int64_t start_ms;
static int epoll_fd = -1;
static uint64_t rng_state;
static volatile sig_atomic_t stop_signal;

/* ---- small helpers ---------------------------------------------------------------------------------------------- */

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static uint64_t mono_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static void update_now(void)
{
    now_tick = (mono_ms() - start_ms) / TICK_MS;
}

/* xorshift64*: only for heartbeat phases, quality hardly matters. */
static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static void put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put_u32(uint8_t *p, uint32_t v) { put_u16(p, (uint16_t)(v >> 16)); put_u16(p + 2, (uint16_t)v); }
static void put_u64(uint8_t *p, uint64_t v) { put_u32(p, (uint32_t)(v >> 32)); put_u32(p + 4, (uint32_t)v); }
static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get_u32(const uint8_t *p) { return (uint32_t)get_u16(p) << 16 | get_u16(p + 2); }

static void note_reason(const char *kind, const char *format, ...)
{
    char text[96];
    int used = snprintf(text, sizeof text, "%s: ", kind);
    va_list args;
    va_start(args, format);
    vsnprintf(text + used, sizeof text - (size_t)used, format, args);
    va_end(args);
    for (int i = 0; i < reason_count; i++) {
        if (strcmp(reasons[i].text, text) == 0) {
            reasons[i].count++;
            return;
        }
    }
    if (reason_count < MAX_REASONS) {
        snprintf(reasons[reason_count].text, sizeof reasons[reason_count].text, "%s", text);
        reasons[reason_count++].count = 1;
    }
}

/* ---- /proc ------------------------------------------------------------------------------------------------------ */

/* VmRSS of the server in kB, or -1 if the process is gone. */
static long read_rss_kb(void)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", opt.pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    long kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* utime + stime of the server in clock ticks, or -1. The command name (field 2) is in parentheses and may itself
 * contain spaces and ')', so the fields are counted from the last ')': state is field 3, utime 14, stime 15. */
static long long read_cpu_ticks(void)
{
    char path[64], text[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", opt.pid);
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
    unsigned long long utime = 0, stime = 0;
    int field = 2;
    for (char *token = strtok(p + 1, " "); token; token = strtok(NULL, " ")) {
        field++;
        if (field == 14) {
            utime = strtoull(token, NULL, 10);
        } else if (field == 15) {
            stime = strtoull(token, NULL, 10);
            return (long long)(utime + stime);
        }
    }
    return -1;
}

/* ---- the timing wheel ------------------------------------------------------------------------------------------- */
/* One slot per tick, each a doubly linked list threaded through the connections (so a connection is re-timed in O(1)
 * without allocating). A connection is in at most one slot; entries due more than one turn ahead simply stay in
 * their slot until their turn comes. */

static void timer_cancel(int32_t i)
{
    struct conn *c = &conns[i];
    if (c->due < 0) {
        return;
    }
    if (c->prev != NIL) {
        conns[c->prev].next = c->next;
    } else {
        wheel[c->due & (WHEEL_SLOTS - 1)] = c->next;
    }
    if (c->next != NIL) {
        conns[c->next].prev = c->prev;
    }
    c->due = -1;
}

static void timer_set(int32_t i, int64_t due)
{
    struct conn *c = &conns[i];
    timer_cancel(i);
    if (due <= wheel_tick) {
        due = wheel_tick + 1;           /* a slot already processed would wait a whole turn */
    }
    int32_t *head = &wheel[due & (WHEEL_SLOTS - 1)];
    c->due = due;
    c->prev = NIL;
    c->next = *head;
    if (*head != NIL) {
        conns[*head].prev = i;
    }
    *head = i;
}

static void on_timer(int32_t i);

static void wheel_advance(void)
{
    while (wheel_tick < now_tick) {
        wheel_tick++;
        int32_t *head = &wheel[wheel_tick & (WHEEL_SLOTS - 1)];
        int32_t i = *head;
        *head = NIL;                    /* detach the slot: handlers may re-insert into it (one turn later) */
        while (i != NIL) {
            struct conn *c = &conns[i];
            int32_t next = c->next;
            int64_t due = c->due;
            c->due = -1;
            if (due > wheel_tick) {
                timer_set(i, due);      /* due in a later turn */
            } else {
                on_timer(i);
            }
            i = next;
        }
    }
}

/* ---- connections ------------------------------------------------------------------------------------------------ */

static void conn_end(int32_t i, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void conn_end(int32_t i, const char *format, ...)
{
    struct conn *c = &conns[i];
    char text[80];
    va_list args;
    va_start(args, format);
    vsnprintf(text, sizeof text, format, args);
    va_end(args);
    if (c->state == ST_OPEN) {
        stats.open--;
        stats.dropped++;
        note_reason("dropped", "%s", text);
    } else {
        stats.inflight--;
        stats.failed++;
        note_reason("failed", "%s", text);
    }
    timer_cancel(i);
    if (c->fd >= 0) {
        close(c->fd);                   /* also removes it from the epoll set */
    }
    c->fd = -1;
    c->state = ST_CLOSED;
}

/* Writes what out[] holds; 0 on success (even if some is left for the next EPOLLOUT), -1 if the connection ended. */
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
    }
    c->last_sent = now_tick;
    return 0;
}

/* The connection is open: start its heartbeat at a random phase in [0, interval). Setting last_sent as if the last
 * write had been (interval - phase) ago makes the ordinary "nothing sent for one interval" rule fire at the phase. */
static void conn_opened(int32_t i, uint32_t interval_ms)
{
    struct conn *c = &conns[i];
    c->state = ST_OPEN;
    stats.inflight--;
    stats.open++;
    c->interval = interval_ms / TICK_MS > 0 ? interval_ms / TICK_MS : 1;
    int64_t phase = (int64_t)(rng_next() % c->interval);
    c->last_sent = now_tick + phase - c->interval;
    timer_set(i, now_tick + phase);
}

static size_t tether_hello(uint8_t *p, uint8_t flags, uint32_t interval_ms, uint32_t timeout_ms, uint32_t max_frame,
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
    memcpy(b + 46 + id_len, token, token_len);
    return T_HEADER + body;
}

/* PING and PONG: a 6-byte header and the 8-byte value. */
static void tether_ping_frame(uint8_t *p, uint8_t type, const uint8_t value[8])
{
    p[0] = type;
    p[1] = 0;
    put_u32(p + 2, 8);
    memcpy(p + T_HEADER, value, 8);
}

static size_t tether_close(uint8_t *p, uint16_t code)
{
    p[0] = T_CLOSE;
    p[1] = 0;
    put_u32(p + 2, 8);
    put_u16(p + 6, code);
    put_u32(p + 8, 0);                  /* retryAfterMs: a client sends 0 */
    put_u16(p + 12, 0);                 /* no reason */
    return 14;
}

/* MQTT 3.1.1 CONNECT: clean session, no will, no credentials. The client id keeps to the 1-23 characters
 * [0-9a-zA-Z] that every broker must accept. */
static size_t mqtt_connect(uint8_t *p, uint16_t keep_alive_s, int index)
{
    char id[24];
    int id_len = snprintf(id, sizeof id, "ih%dx%d", (int)getpid() % 10000000, index);
    p[0] = 0x10;
    p[1] = (uint8_t)(10 + 2 + id_len);  /* remaining length, < 128 so one byte */
    put_u16(p + 2, 4);
    memcpy(p + 4, "MQTT", 4);
    p[8] = 4;                           /* protocol level 3.1.1 */
    p[9] = 0x02;                        /* clean session */
    put_u16(p + 10, keep_alive_s);
    put_u16(p + 12, (uint16_t)id_len);
    memcpy(p + 14, id, (size_t)id_len);
    return 14 + (size_t)id_len;
}

static void send_heartbeat(int32_t i)
{
    uint8_t frame[T_HEADER + 8];
    size_t length;
    switch (opt.protocol) {
    case PROTO_TETHER: {
        uint8_t value[8];
        put_u64(value, mono_us());      /* opaque to the server; unique enough */
        tether_ping_frame(frame, T_PING, value);
        length = sizeof frame;
        break;
    }
    case PROTO_RAW:
        memcpy(frame, "hb\r\n", 4);
        length = 4;
        break;
    default:
        frame[0] = 0xC0;                /* PINGREQ */
        frame[1] = 0;
        length = 2;
        break;
    }
    if (conn_send(i, frame, length) == 0) {
        stats.pings_sent++;
    }
}

static void on_timer(int32_t i)
{
    struct conn *c = &conns[i];
    if (c->state == ST_CONNECTING || c->state == ST_HANDSHAKE) {
        conn_end(i, c->state == ST_CONNECTING ? "connect timed out" : "no handshake answer within 15 s");
        return;
    }
    if (c->state != ST_OPEN) {
        return;
    }
    if (now_tick - c->last_sent >= c->interval) {
        send_heartbeat(i);
    }
    if (c->state == ST_OPEN) {
        timer_set(i, c->last_sent + c->interval);
    }
}

/* TCP connect finished: start the handshake (raw has none). */
static void on_connected(int32_t i)
{
    uint8_t hello[T_HEADER + 46];
    switch (opt.protocol) {
    case PROTO_TETHER: {
        conns[i].state = ST_HANDSHAKE;
        size_t length = tether_hello(hello, T_FLAG_SESSION, (uint32_t)opt.heartbeat_s * 1000u, 0, T_MAX_FRAME, "",
                                     NULL, 0);
        conn_send(i, hello, length);
        break;
    }
    case PROTO_MQTT: {
        uint8_t connect[48];
        conns[i].state = ST_HANDSHAKE;
        conn_send(i, connect, mqtt_connect(connect, (uint16_t)opt.heartbeat_s, i));
        break;
    }
    default:
        conn_opened(i, (uint32_t)opt.heartbeat_s * 1000u);
        break;
    }
}

/* ---- receiving -------------------------------------------------------------------------------------------------- */

/* Header complete? 1 yes (body_len set), 0 needs more bytes, -1 malformed. */
static int header_complete(struct conn *c)
{
    if (opt.protocol == PROTO_TETHER) {
        if (c->hdr_have < T_HEADER) {
            return 0;
        }
        c->body_len = get_u32(c->hdr + 2);
        uint32_t limit = c->state == ST_HANDSHAKE ? T_HANDSHAKE_MAX_BODY : T_MAX_FRAME;
        return c->body_len <= limit ? 1 : -1;
    }
    /* MQTT: a type byte, then the remaining length in 1-4 bytes of 7 bits each, least significant first. */
    if (c->hdr_have < 2 || (c->hdr[c->hdr_have - 1] & 0x80)) {
        return c->hdr_have >= 5 ? -1 : 0;
    }
    uint32_t length = 0;
    for (int k = c->hdr_have - 1; k >= 1; k--) {
        length = length << 7 | (c->hdr[k] & 0x7F);
    }
    c->body_len = length;
    return 1;
}

/* A whole tether frame is in (its header in hdr[], the start of its body in keep[]). -1 if the connection ended. */
static int tether_frame(int32_t i)
{
    struct conn *c = &conns[i];
    uint8_t type = c->hdr[0], flags = c->hdr[1];
    uint32_t length = c->body_len;
    if (type == T_CLOSE) {
        conn_end(i, "CLOSE %u from the server", length >= 2 ? get_u16(c->keep) : 0u);
        return -1;
    }
    if (c->state == ST_HANDSHAKE) {
        /* The server's first frame must be WELCOME (or CLOSE, above). */
        if (type != T_WELCOME) {
            conn_end(i, "first frame type 0x%02x instead of WELCOME", type);
            return -1;
        }
        uint32_t interval_ms = length >= T_WELCOME_FIXED ? get_u32(c->keep + 1) : 0;
        if (length < T_WELCOME_FIXED || c->keep[0] != 1 || interval_ms == 0) {
            conn_end(i, "malformed WELCOME");
            return -1;
        }
        if (flags & T_FLAG_SESSION) {
            stats.sessions++;
        }
        conn_opened(i, interval_ms);    /* the decided interval, as the protocol requires */
        return 0;
    }
    switch (type) {
    case T_PING: {
        if (length != 8) {
            conn_end(i, "PING with a %u-byte body", length);
            return -1;
        }
        uint8_t pong[T_HEADER + 8];
        tether_ping_frame(pong, T_PONG, c->keep);
        stats.server_pings++;
        return conn_send(i, pong, sizeof pong);
    }
    case T_PONG:
        stats.pongs_received++;
        return 0;
    case T_GOAWAY:
        stats.goaways++;                /* keep holding: the server closes when its drain ends */
        return 0;
    default:
        return 0;                       /* DATA, ACK, extension frames, anything else: skipped */
    }
}

static int mqtt_packet(int32_t i)
{
    struct conn *c = &conns[i];
    uint8_t type = c->hdr[0] >> 4;
    if (c->state == ST_HANDSHAKE) {
        if (type != 2 || c->body_len != 2) {
            conn_end(i, "first packet type %u instead of CONNACK", type);
            return -1;
        }
        if (c->keep[1] != 0) {
            conn_end(i, "CONNACK return code %u", c->keep[1]);
            return -1;
        }
        conn_opened(i, (uint32_t)opt.heartbeat_s * 1000u);
        return 0;
    }
    if (type == 13) {                   /* PINGRESP */
        stats.pongs_received++;
    } else if (type == 14) {            /* DISCONNECT (only MQTT 5 brokers send it) */
        conn_end(i, "DISCONNECT from the broker");
        return -1;
    }
    return 0;
}

/* Feeds received bytes through the frame parser, whatever their split. -1 if the connection ended. */
static int conn_feed(int32_t i, const uint8_t *p, size_t n)
{
    struct conn *c = &conns[i];
    if (opt.protocol == PROTO_RAW) {
        /* The echo of "hb\r\n": count every 4 bytes back, however they arrive. */
        c->body_have += (uint32_t)n;
        stats.pongs_received += c->body_have / 4;
        c->body_have %= 4;
        return 0;
    }
    while (n > 0) {
        if (!c->in_body) {
            c->hdr[c->hdr_have++] = *p++;   /* headers are a few bytes: collect them one at a time */
            n--;
            int complete = header_complete(c);
            if (complete == 0) {
                continue;
            }
            if (complete < 0) {
                conn_end(i, opt.protocol == PROTO_TETHER ? "frame larger than the announced maximum"
                                                         : "malformed remaining length");
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
            int result = opt.protocol == PROTO_TETHER ? tether_frame(i) : mqtt_packet(i);
            if (result < 0) {
                return -1;
            }
        }
    }
    return 0;
}

static void conn_read(int32_t i)
{
    static uint8_t buffer[65536];
    for (;;) {
        ssize_t n = recv(conns[i].fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            if (conn_feed(i, buffer, (size_t)n) < 0) {
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
        return;                         /* edge-triggered: drained until EAGAIN */
    }
}

static void conn_start(int32_t i)
{
    struct conn *c = &conns[i];
    c->state = ST_CONNECTING;
    stats.inflight++;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        conn_end(i, "socket: %s", strerror(errno));
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (opt.source_count > 0) {
        /* Without IP_BIND_ADDRESS_NO_PORT, bind() would pick the port alone, reserving it for every destination;
         * with it the port is chosen at connect() from the full 4-tuple. */
        struct sockaddr_in source = { .sin_family = AF_INET, .sin_addr = opt.sources[i % opt.source_count] };
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
    /* Registered once for both directions; an immediately completed connect still reports EPOLLOUT. */
    struct epoll_event event = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.u32 = (uint32_t)i };
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c->fd, &event) != 0) {
        conn_end(i, "epoll_ctl: %s", strerror(errno));
        return;
    }
    timer_set(i, now_tick + SETUP_DEADLINE_MS / TICK_MS);
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
        if (c->state == ST_CLOSED) {
            return;
        }
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        conn_read(i);
    }
    if (c->state != ST_CLOSED && (events & EPOLLOUT) && c->out_len > 0) {
        conn_flush(i);
    }
}

/* One round of the event loop: wait at most until the next tick, handle events, fire due timers. */
static void poll_once(void)
{
    static struct epoll_event events[1024];
    int64_t wait = TICK_MS - (mono_ms() - start_ms) % TICK_MS;
    int n = epoll_wait(epoll_fd, events, 1024, (int)wait);
    update_now();
    for (int k = 0; k < n; k++) {
        on_event((int32_t)events[k].data.u32, events[k].events);
    }
    wheel_advance();
}

/* Closes every socket, saying goodbye where the protocol has a word for it (best effort, never waits). */
static void close_all(int count)
{
    uint8_t bye[16];
    size_t length = 0;
    if (opt.protocol == PROTO_TETHER) {
        length = tether_close(bye, 1000);   /* NORMAL */
    } else if (opt.protocol == PROTO_MQTT) {
        bye[0] = 0xE0;                      /* DISCONNECT */
        bye[1] = 0;
        length = 2;
    }
    for (int i = 0; i < count; i++) {
        struct conn *c = &conns[i];
        if (c->fd < 0) {
            continue;
        }
        if (c->state == ST_OPEN && length > 0 && c->out_len == 0) {
            ssize_t ignored = send(c->fd, bye, length, MSG_NOSIGNAL | MSG_DONTWAIT);
            (void)ignored;
        }
        close(c->fd);
        c->fd = -1;
    }
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

/* Drives connection 0 over a socketpair: the server's bytes go in one at a time, so every read returns one byte. */
static int self_test_stream(int peer, const char *hex)
{
    uint8_t bytes[512];
    size_t n = from_hex(bytes, hex);
    for (size_t k = 0; k < n && conns[0].state != ST_CLOSED; k++) {
        if (write(peer, bytes + k, 1) != 1) {
            return -1;
        }
        conn_read(0);
    }
    return 0;
}

static int self_test_connection(enum protocol protocol, int *peer)
{
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair) != 0) {
        return -1;
    }
    opt.protocol = protocol;
    memset(&stats, 0, sizeof stats);
    for (int s = 0; s < WHEEL_SLOTS; s++) {
        wheel[s] = NIL;
    }
    memset(&conns[0], 0, sizeof conns[0]);
    conns[0].fd = pair[0];
    conns[0].due = -1;
    conns[0].state = ST_CONNECTING;
    stats.inflight = 1;
    on_connected(0);
    *peer = pair[1];
    return 0;
}

static int self_test(void)
{
    int failures = 0;
    uint8_t frame[512];
    size_t n;
    static struct conn one[1];
    conns = one;
    for (int s = 0; s < WHEEL_SLOTS; s++) {
        wheel[s] = NIL;
    }

    /* Encoders against the valid vectors of docs/protocol.md section 17.2. */
    n = tether_hello(frame, 0, 0, 0, 1048576, "", NULL, 0);
    failures += expect_bytes("V1 hello-minimal-anonymous", frame, n,
        "01000000002e54544852010100000000000000000010000000000000000000000000000000000000000000000000000000000000");
    const uint8_t token[] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0xc0, 0xff, 0xee };
    n = tether_hello(frame, T_FLAG_SESSION, 10000, 25000, 65536, "sensor-42", token, sizeof token);
    failures += expect_bytes("V2 hello-session-client-id-token", frame, n,
        "01010000003f54544852010100002710000061a8000100000000000000000000000000000000000000000000000000000009"
        "73656e736f722d34320008deadbeef00c0ffee");
    uint8_t value[8];
    put_u64(value, 123456789);
    tether_ping_frame(frame, T_PING, value);
    failures += expect_bytes("V17 ping", frame, 14, "05000000000800000000075bcd15");
    tether_ping_frame(frame, T_PONG, value);
    failures += expect_bytes("V18 pong", frame, 14, "06000000000800000000075bcd15");
    n = tether_close(frame, 1000);
    failures += expect_bytes("V21 close-normal", frame, n, "08000000000803e8000000000000");

    /* A tether connection, fed one byte per read: our HELLO, then WELCOME (V6: new session, interval 10000 ms),
     * a PING (V17) that must be answered with PONG (V18), extension frames (V26, V27), ACK (V16), DATA (V11),
     * GOAWAY (V20), a PONG, and finally CLOSE 1006 (V22). */
    int peer;
    opt.heartbeat_s = 30;
    if (self_test_connection(PROTO_TETHER, &peer) != 0) {
        return 1;
    }
    n = (size_t)read(peer, frame, sizeof frame);
    failures += expect_bytes("HELLO sent on connect (SESSION, interval 30000 ms)", frame, n,
        "01010000002e54544852010100007530000000000010000000000000000000000000000000000000000000000000000000000000");
    self_test_stream(peer, "02010000003b0100002710000061a80010000000000000000000029f86d081884c7d659a2feaa0c55ad01500"
                           "0000000000000000000000000000066e6f64652d61");
    failures += expect("tether open after WELCOME", conns[0].state, ST_OPEN);
    failures += expect("decided interval used (ticks)", conns[0].interval, 10000 / TICK_MS);
    failures += expect("session granted", stats.sessions, 1);
    self_test_stream(peer, "05000000000800000000075bcd15" "40000000000400010203" "7f8000000000"
                           "0400000000080000000000000020" "03000000000568656c6c6f"
                           "07000000002c000013880000753000117365727665722072657374617274696e670001000d31302e302e302e"
                           "323a37343437"
                           "06000000000800000000075bcd15");
    n = (size_t)read(peer, frame, sizeof frame);
    failures += expect_bytes("PING answered with PONG", frame, n, "06000000000800000000075bcd15");
    failures += expect("server pings answered", stats.server_pings, 1);
    failures += expect("pongs received", stats.pongs_received, 1);
    failures += expect("goaways seen", stats.goaways, 1);
    failures += expect("still open after skipped frames", conns[0].state, ST_OPEN);
    self_test_stream(peer, "08000000001903ee0000000000116865617274626561742074696d656f7574");
    failures += expect("CLOSE 1006 drops the connection", stats.dropped, 1);
    close(peer);

    /* A WELCOME whose body claims more than the 8192 bytes allowed during the handshake is refused at its header. */
    if (self_test_connection(PROTO_TETHER, &peer) != 0) {
        return 1;
    }
    n = (size_t)read(peer, frame, sizeof frame);
    self_test_stream(peer, "020000002001");
    failures += expect("oversized WELCOME refused", stats.failed, 1);
    close(peer);

    /* MQTT: CONNECT out, CONNACK and PINGRESP in, one byte at a time; a PINGREQ from the timer. */
    if (self_test_connection(PROTO_MQTT, &peer) != 0) {
        return 1;
    }
    n = (size_t)read(peer, frame, sizeof frame);
    char id[24], want[128];
    int id_len = snprintf(id, sizeof id, "ih%dx0", (int)getpid() % 10000000);
    int used = snprintf(want, sizeof want, "10%02x00044d5154540402001e%04x", 12 + id_len, id_len);
    for (int k = 0; k < id_len; k++) {
        used += snprintf(want + used, sizeof want - (size_t)used, "%02x", (unsigned char)id[k]);
    }
    failures += expect_bytes("CONNECT (3.1.1, clean session, keep-alive 30, unique id)", frame, n, want);
    self_test_stream(peer, "20020000" "d000");
    failures += expect("mqtt open after CONNACK", conns[0].state, ST_OPEN);
    failures += expect("PINGRESP counted", stats.pongs_received, 1);
    send_heartbeat(0);
    n = (size_t)read(peer, frame, sizeof frame);
    failures += expect_bytes("PINGREQ", frame, n, "c000");
    close(peer);
    close(conns[0].fd);

    /* raw: open at once; the echo counted per 4 bytes however it is split. */
    if (self_test_connection(PROTO_RAW, &peer) != 0) {
        return 1;
    }
    send_heartbeat(0);
    n = (size_t)read(peer, frame, sizeof frame);
    failures += expect_bytes("raw heartbeat", frame, n, "68620d0a");
    self_test_stream(peer, "6862" "0d0a" "6862");
    failures += expect("raw echoes counted", stats.pongs_received, 1);
    close(peer);
    close(conns[0].fd);

    fprintf(stderr, failures ? "idle_holder: self-test: %d failure(s)\n" : "idle_holder: self-test passed\n",
            failures);
    return failures ? 1 : 0;
}

/* ---- command line ----------------------------------------------------------------------------------------------- */

static void usage_error(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "idle_holder: ");
    vfprintf(stderr, format, args);
    va_end(args);
    fprintf(stderr, " (usage: idle_holder --target 127.0.0.1:PORT --pid SERVER_PID --connections N "
                    "--protocol tether|raw|mqtt [--heartbeat 30] [--sources A-B,C] [--concurrency 256] [--settle 10] "
                    "[--measure 60] | --self-test)\n");
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
    int have_target = 0, have_protocol = 0, have_connections = 0;
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
        } else if (strcmp(name, "--pid") == 0) {
            opt.pid = parse_int(name, value, 1, 1 << 30);
        } else if (strcmp(name, "--connections") == 0) {
            opt.connections = parse_int(name, value, 1, 1 << 24);
            have_connections = 1;
        } else if (strcmp(name, "--protocol") == 0) {
            int found = -1;
            for (int p = 0; p < 3; p++) {
                if (strcmp(value, protocol_names[p]) == 0) {
                    found = p;
                }
            }
            if (found < 0) {
                usage_error("--protocol must be tether, raw or mqtt, not '%s'", value);
            }
            opt.protocol = (enum protocol)found;
            have_protocol = 1;
        } else if (strcmp(name, "--heartbeat") == 0) {
            opt.heartbeat_s = parse_int(name, value, 1, 3600);
        } else if (strcmp(name, "--sources") == 0) {
            parse_sources(value);
        } else if (strcmp(name, "--concurrency") == 0) {
            opt.concurrency = parse_int(name, value, 1, 1 << 20);
        } else if (strcmp(name, "--settle") == 0) {
            opt.settle_s = parse_int(name, value, 0, 86400);
        } else if (strcmp(name, "--measure") == 0) {
            opt.measure_s = parse_int(name, value, 1, 86400);
        } else {
            usage_error("unknown option '%s'", name);
        }
    }
    if (!have_target || opt.pid < 0 || !have_connections || !have_protocol) {
        usage_error("--target, --pid, --connections and --protocol are required");
    }
}

/* ---- main ------------------------------------------------------------------------------------------------------- */

static void on_signal(int signal_number)
{
    stop_signal = signal_number;
}

/* Runs the event loop until the given time (ms since start) or a signal. */
static void run_until(int64_t end_ms, const char *phase)
{
    int64_t next_note = mono_ms() - start_ms + 10000;
    while (!stop_signal && mono_ms() - start_ms < end_ms) {
        poll_once();
        int64_t elapsed = mono_ms() - start_ms;
        if (elapsed >= next_note) {
            next_note = elapsed + 10000;
            fprintf(stderr, "idle_holder: %s: %ld open, %ld dropped, pings %ld sent / %ld answered\n", phase,
                    stats.open, stats.dropped, stats.pings_sent, stats.pongs_received);
        }
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
    if (files.rlim_max != RLIM_INFINITY && (rlim_t)opt.connections + RESERVED_FILES > files.rlim_max) {
        fprintf(stderr, "idle_holder: --connections %d is more than the open-file limit (%llu) minus %d\n",
                opt.connections, (unsigned long long)files.rlim_max, RESERVED_FILES);
        return 2;
    }

    long rss_before = read_rss_kb();
    if (rss_before < 0) {
        fprintf(stderr, "idle_holder: cannot read VmRSS from /proc/%d/status\n", opt.pid);
        return 1;
    }

    conns = calloc((size_t)opt.connections, sizeof *conns);
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (!conns || epoll_fd < 0) {
        fprintf(stderr, "idle_holder: out of memory or epoll_create1 failed\n");
        return 1;
    }
    for (int i = 0; i < opt.connections; i++) {
        conns[i].fd = -1;
        conns[i].due = -1;
    }
    for (int s = 0; s < WHEEL_SLOTS; s++) {
        wheel[s] = NIL;
    }
    rng_state = mono_us() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
    struct sigaction action = { .sa_handler = on_signal };  /* no SA_RESTART: epoll_wait returns EINTR */
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    start_ms = mono_ms();
    update_now();

    /* Connect, at most --concurrency set-ups at a time. */
    int started = 0;
    int64_t next_progress = 1000;
    int server_gone = 0;
    while (!stop_signal) {
        while (started < opt.connections && stats.inflight < opt.concurrency) {
            conn_start(started++);
        }
        if (started == opt.connections && stats.inflight == 0) {
            break;
        }
        poll_once();
        int64_t elapsed = mono_ms() - start_ms;
        if (elapsed >= next_progress) {
            next_progress = elapsed + 1000;
            fprintf(stderr, "idle_holder: connecting: %ld open, %ld failed, %ld in flight of %d\n", stats.open,
                    stats.failed, stats.inflight, opt.connections);
            if (read_rss_kb() < 0) {
                server_gone = 1;
                break;
            }
        }
    }
    double ramp_s = (double)(mono_ms() - start_ms) / 1000.0;
    if (!stop_signal && !server_gone) {
        fprintf(stderr, "idle_holder: %ld open, %ld failed after %.1f s; settling for %d s\n", stats.open,
                stats.failed, ramp_s, opt.settle_s);
        run_until(mono_ms() - start_ms + (int64_t)opt.settle_s * 1000, "settling");
    }

    long rss_after = read_rss_kb();
    long held = stats.open;
    long long cpu_before = read_cpu_ticks(), cpu_after = -1;
    int64_t measure_start = mono_ms(), measure_end = measure_start;
    int measured = 0;
    if (!stop_signal && !server_gone && rss_after >= 0) {
        run_until(measure_start - start_ms + (int64_t)opt.measure_s * 1000, "measuring");
        cpu_after = read_cpu_ticks();
        measure_end = mono_ms();
        measured = cpu_before >= 0 && cpu_after >= 0;
    }
    server_gone = server_gone || rss_after < 0 || (cpu_before >= 0 && cpu_after < 0 && !stop_signal);

    char bytes_per_conn[32] = "n/a", cpu_pct[32] = "n/a";
    if (rss_after >= 0 && held > 0) {
        snprintf(bytes_per_conn, sizeof bytes_per_conn, "%lld", (long long)(rss_after - rss_before) * 1024 / held);
    }
    double measure_s = (double)(measure_end - measure_start) / 1000.0;
    if (measured && measure_s > 0) {
        double cpu_s = (double)(cpu_after - cpu_before) / (double)sysconf(_SC_CLK_TCK);
        snprintf(cpu_pct, sizeof cpu_pct, "%.2f", cpu_s / measure_s * 100.0);
    }
    printf("idle_holder: protocol=%s connections=%d held=%ld failed=%ld dropped=%ld rss_before_kb=%ld "
           "rss_after_kb=%ld bytes_per_conn=%s server_cpu_pct=%s pings_sent=%ld pongs_received=%ld "
           "server_pings=%ld heartbeat_s=%d ramp_s=%.1f measure_s=%.1f",
           protocol_names[opt.protocol], opt.connections, held, stats.failed, stats.dropped, rss_before, rss_after,
           bytes_per_conn, cpu_pct, stats.pings_sent, stats.pongs_received, stats.server_pings, opt.heartbeat_s,
           ramp_s, measure_s);
    if (opt.protocol == PROTO_TETHER) {
        printf(" sessions=%ld goaways=%ld", stats.sessions, stats.goaways);
    }
    if (stop_signal) {
        printf(" stopped_early=%s", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    }
    printf("\n");
    fflush(stdout);
    for (int r = 0; r < reason_count; r++) {
        fprintf(stderr, "idle_holder: %ld x %s\n", reasons[r].count, reasons[r].text);
    }
    close_all(started);

    if (stop_signal) {
        fprintf(stderr, "idle_holder: stopped by %s before the run ended\n", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
        return 128 + stop_signal;
    }
    if (server_gone) {
        fprintf(stderr, "idle_holder: server process %d went away\n", opt.pid);
        return 1;
    }
    if (stats.failed > 0 || stats.dropped > 0) {
        fprintf(stderr, "idle_holder: %ld of %d connections failed and %ld dropped\n", stats.failed,
                opt.connections, stats.dropped);
        return 1;
    }
    return 0;
}
