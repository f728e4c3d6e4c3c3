#!/usr/bin/env python3
"""Generate the Tether wire protocol v1 test vectors.

Writes docs/protocol-vectors.json and (with --update-doc) regenerates the
"Test vectors" listing in docs/protocol.md between the markers
<!-- BEGIN GENERATED VECTORS --> and <!-- END GENERATED VECTORS -->.

Every vector is built from annotated byte segments with struct (big-endian),
then checked by an independent reference decoder written from
docs/protocol.md: each valid vector must decode to exactly its JSON fields
(round trip) with flags consistent with the fields, and each invalid vector
must be rejected with exactly the expected error under its maxFrameSize.

Usage:
    python3 docs/tools/make_protocol_vectors.py              # write the JSON
    python3 docs/tools/make_protocol_vectors.py --update-doc # also refresh protocol.md
    python3 docs/tools/make_protocol_vectors.py --check      # verify files are up to date
    python3 docs/tools/make_protocol_vectors.py --markdown   # print the doc section
"""

import json
import struct
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent
JSON_PATH = DOCS / "protocol-vectors.json"
DOC_PATH = DOCS / "protocol.md"
BEGIN_MARK = "<!-- BEGIN GENERATED VECTORS -->"
END_MARK = "<!-- END GENERATED VECTORS -->"

PROTOCOL_VERSION = 1
HANDSHAKE_MAX = 8192          # body limit before the handshake completes
DEFAULT_MAX = 1048576         # our implementation's default maxFrameSize
MIN_MAX_FRAME_SIZE = 1024     # smallest legal announced maxFrameSize

HELLO, WELCOME, DATA, ACK, PING, PONG, GOAWAY, CLOSE = range(1, 9)
TYPE_NAMES = {HELLO: "HELLO", WELCOME: "WELCOME", DATA: "DATA", ACK: "ACK", PING: "PING",
              PONG: "PONG", GOAWAY: "GOAWAY", CLOSE: "CLOSE"}
DEFINED_FLAGS = {HELLO: 0x03, WELCOME: 0x03, DATA: 0x03, ACK: 0, PING: 0, PONG: 0, GOAWAY: 0, CLOSE: 0}
FLAG_NAMES = {HELLO: {0x01: "SESSION", 0x02: "RESUME"},
              WELCOME: {0x01: "SESSION", 0x02: "RESUMED"},
              DATA: {0x01: "SEQ", 0x02: "ACK"}}
ZERO_SESSION = "00" * 16
U64_MAX = 2**64 - 1


# --------------------------------------------------------------------------- encoding helpers

def u8(v):
    return struct.pack(">B", v)


def u16(v):
    return struct.pack(">H", v)


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def type_name(t):
    if t in TYPE_NAMES:
        return TYPE_NAMES[t]
    if 0x40 <= t <= 0x7F:
        return "extension frame 0x%02x" % t
    return "reserved type 0x%02x" % t


def flag_text(t, flags):
    if flags == 0:
        return "no flags"
    names = []
    for bit in (0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80):
        if flags & bit:
            names.append(FLAG_NAMES.get(t, {}).get(bit, "0x%02x" % bit))
    return "flags " + "|".join(names)


def header_seg(t, flags, length, note=None):
    """The 6-byte header as one segment; the note defaults to a readable summary."""
    if note is None:
        note = "%s, %s, body length %d" % (type_name(t), flag_text(t, flags), length)
    return (u8(t) + u8(flags) + u32(length), note)


def frame(t, flags, body_segs, length=None):
    """Header + body; the length field is computed unless overridden (invalid vectors)."""
    body_len = sum(len(b) for b, _ in body_segs)
    declared = body_len if length is None else length
    return [header_seg(t, flags, declared)] + body_segs


def quote(s):
    return json.dumps(s, ensure_ascii=False)


def tlv_segs(extensions):
    segs = []
    for item in extensions:
        value = bytes.fromhex(item["value"])
        key = item["key"]
        label = "ALTERNATE_ENDPOINT" if key == 0x0001 else ("private" if key >= 0x8000 else "unassigned")
        segs.append((u16(key) + u16(len(value)), "extension key 0x%04x (%s), length %d" % (key, label, len(value))))
        if value:
            segs.append((value, "  value " + describe_bytes(value)))
    return segs


def describe_bytes(b):
    if len(b) > 32 and len(set(b)) == 1:
        one = describe_bytes(b[:1])
        return "%s x %d" % (one, len(b))
    if len(b) > 32:
        return "%s .. (%d bytes)" % (describe_bytes(b[:16]), len(b))
    try:
        text = b.decode("utf-8")
        if all(c.isprintable() for c in text):
            return quote(text)
    except UnicodeDecodeError:
        pass
    return "0x" + b.hex()


def str_segs(len_size, s_bytes, what, len_override=None):
    n = len(s_bytes) if len_override is None else len_override
    pack = u16 if len_size == 2 else u8
    segs = [(pack(n), "%sLen %d" % (what, n))]
    if s_bytes:
        segs.append((s_bytes, "%s %s" % (what, describe_bytes(s_bytes))))
    return segs


# --------------------------------------------------------------------------- frame encoders (valid frames)

def hello_body(f):
    segs = [
        (b"TTHR", 'magic "TTHR"'),
        (u8(f["minVersion"]), "minVersion %d" % f["minVersion"]),
        (u8(f["maxVersion"]), "maxVersion %d" % f["maxVersion"]),
        (u32(f["heartbeatIntervalMs"]), "heartbeatIntervalMs %d" % f["heartbeatIntervalMs"]),
        (u32(f["heartbeatTimeoutMs"]), "heartbeatTimeoutMs %d" % f["heartbeatTimeoutMs"]),
        (u32(f["maxFrameSize"]), "maxFrameSize %d" % f["maxFrameSize"]),
        (bytes.fromhex(f["sessionId"]), "sessionId"),
        (u64(int(f["lastReceivedSeq"])), "lastReceivedSeq %s" % f["lastReceivedSeq"]),
    ]
    segs += str_segs(2, f["clientId"].encode("utf-8"), "clientId")
    token = bytes.fromhex(f["token"])
    segs.append((u16(len(token)), "tokenLen %d" % len(token)))
    if token:
        segs.append((token, "token (opaque)"))
    segs += tlv_segs(f["extensions"])
    return segs


def welcome_body(f):
    segs = [
        (u8(f["version"]), "version %d" % f["version"]),
        (u32(f["heartbeatIntervalMs"]), "heartbeatIntervalMs %d" % f["heartbeatIntervalMs"]),
        (u32(f["heartbeatTimeoutMs"]), "heartbeatTimeoutMs %d" % f["heartbeatTimeoutMs"]),
        (u32(f["maxFrameSize"]), "maxFrameSize %d" % f["maxFrameSize"]),
        (u64(int(f["connectionId"])), "connectionId %s" % f["connectionId"]),
        (bytes.fromhex(f["sessionId"]), "sessionId"),
        (u64(int(f["lastReceivedSeq"])), "lastReceivedSeq %s" % f["lastReceivedSeq"]),
        (u16(f["sessionResetReason"]), "sessionResetReason %d%s" % (
            f["sessionResetReason"],
            {0: " (none)", 1: " (UNKNOWN)", 2: " (EXPIRED)", 3: " (OVERFLOW)", 4: " (GAP)"}.get(
                f["sessionResetReason"], ""))),
        (u32(f["lostCount"]), "lostCount %d%s" % (f["lostCount"],
                                                 " (unknown)" if f["lostCount"] == 0xFFFFFFFF else "")),
    ]
    segs += str_segs(2, f["serverId"].encode("utf-8"), "serverId")
    segs += tlv_segs(f["extensions"])
    return segs


def data_body(f):
    segs = []
    if f["seq"] is not None:
        segs.append((u64(int(f["seq"])), "seq %s" % f["seq"]))
    if f["ack"] is not None:
        segs.append((u64(int(f["ack"])), "ack %s" % f["ack"]))
    payload = bytes.fromhex(f["payload"])
    if payload:
        segs.append((payload, "payload " + describe_bytes(payload)))
    return segs


def goaway_body(f):
    segs = [(u32(f["retryAfterMs"]), "retryAfterMs %d" % f["retryAfterMs"]),
            (u32(f["drainMs"]), "drainMs %d" % f["drainMs"])]
    segs += str_segs(2, f["reason"].encode("utf-8"), "reason")
    segs += tlv_segs(f["extensions"])
    return segs


def close_body(f):
    segs = [(u16(f["code"]), "code %d" % f["code"]),
            (u32(f["retryAfterMs"]), "retryAfterMs %d" % f["retryAfterMs"])]
    segs += str_segs(2, f["reason"].encode("utf-8"), "reason")
    segs += tlv_segs(f["extensions"])
    return segs


def encode_valid(ftype, flags, fields):
    if ftype == "HELLO":
        return frame(HELLO, flags, hello_body(fields))
    if ftype == "WELCOME":
        return frame(WELCOME, flags, welcome_body(fields))
    if ftype == "DATA":
        return frame(DATA, flags, data_body(fields))
    if ftype in ("ACK",):
        return frame(ACK, flags, [(u64(int(fields["ack"])), "ack %s" % fields["ack"])])
    if ftype in ("PING", "PONG"):
        t = PING if ftype == "PING" else PONG
        return frame(t, flags, [(u64(int(fields["value"])), "value %s" % fields["value"])])
    if ftype == "GOAWAY":
        return frame(GOAWAY, flags, goaway_body(fields))
    if ftype == "CLOSE":
        return frame(CLOSE, flags, close_body(fields))
    if ftype == "EXTENSION":
        body = bytes.fromhex(fields["body"])
        return frame(fields["typeCode"], flags, [(body, "body (opaque to receivers that do not know the type)")] if body else [])
    raise ValueError(ftype)


# --------------------------------------------------------------------------- reference decoder

class ProtocolError(Exception):
    def __init__(self, error, why):
        super().__init__("%s: %s" % (error, why))
        self.error = error
        self.why = why


def fail(why):
    raise ProtocolError("PROTOCOL_ERROR", why)


class Reader:
    def __init__(self, body):
        self.b = body
        self.o = 0

    def take(self, n, what):
        if self.o + n > len(self.b):
            fail("%s overruns the body" % what)
        v = self.b[self.o:self.o + n]
        self.o += n
        return v

    def u8(self, what):
        return self.take(1, what)[0]

    def u16(self, what):
        return struct.unpack(">H", self.take(2, what))[0]

    def u32(self, what):
        return struct.unpack(">I", self.take(4, what))[0]

    def u64(self, what):
        return struct.unpack(">Q", self.take(8, what))[0]

    def rest(self):
        v = self.b[self.o:]
        self.o = len(self.b)
        return v

    def utf8(self, n, what):
        raw = self.take(n, what)
        try:
            return raw.decode("utf-8", errors="strict")  # Python's codec rejects overlongs and surrogates
        except UnicodeDecodeError:
            fail("%s is not valid UTF-8" % what)

    def extensions(self):
        items = []
        while self.o < len(self.b):
            key = self.u16("extension key")
            n = self.u16("extension length")
            items.append({"key": key, "value": self.take(n, "extension value").hex()})
        return items


def decode(data, max_frame_size):
    """Decode exactly one frame. Returns (type name, flags, fields) or raises ProtocolError."""
    if len(data) < 6:
        raise ValueError("vector shorter than a header")
    t, flags, length = data[0], data[1], struct.unpack(">I", data[2:6])[0]
    # Header checks (each vector violates at most one rule, so the order does not matter).
    if not (t in TYPE_NAMES or 0x40 <= t <= 0x7F):
        fail("reserved frame type 0x%02x" % t)
    if length > max_frame_size:
        raise ProtocolError("FRAME_TOO_LARGE", "body length %d > maxFrameSize %d" % (length, max_frame_size))
    if t in TYPE_NAMES and flags & ~DEFINED_FLAGS[t] & 0xFF:
        fail("reserved flag bits 0x%02x" % (flags & ~DEFINED_FLAGS[t] & 0xFF))
    if len(data) != 6 + length:
        raise ValueError("vector is not exactly one complete frame")
    r = Reader(data[6:])
    if 0x40 <= t <= 0x7F:
        return "EXTENSION", flags, {"typeCode": t, "body": r.rest().hex()}
    name = TYPE_NAMES[t]
    if t == HELLO:
        if r.take(4, "magic") != b"TTHR":
            fail("bad magic")
        f = {"minVersion": r.u8("minVersion"), "maxVersion": r.u8("maxVersion"),
             "heartbeatIntervalMs": r.u32("heartbeatIntervalMs"),
             "heartbeatTimeoutMs": r.u32("heartbeatTimeoutMs"),
             "maxFrameSize": r.u32("maxFrameSize"), "sessionId": r.take(16, "sessionId").hex(),
             "lastReceivedSeq": str(r.u64("lastReceivedSeq"))}
        n = r.u16("clientIdLen")
        if n > 256:
            fail("clientIdLen %d > 256" % n)
        f["clientId"] = r.utf8(n, "clientId")
        n = r.u16("tokenLen")
        if n > 4096:
            fail("tokenLen %d > 4096" % n)
        f["token"] = r.take(n, "token").hex()
        f["extensions"] = r.extensions()
        if f["minVersion"] == 0:
            fail("minVersion 0")
        if f["minVersion"] > f["maxVersion"]:
            fail("minVersion > maxVersion")
        if f["maxFrameSize"] < MIN_MAX_FRAME_SIZE:
            fail("maxFrameSize < 1024")
        if flags & 0x02 and not flags & 0x01:
            fail("RESUME without SESSION")
        return name, flags, f
    if t == WELCOME:
        f = {"version": r.u8("version"), "heartbeatIntervalMs": r.u32("heartbeatIntervalMs"),
             "heartbeatTimeoutMs": r.u32("heartbeatTimeoutMs"), "maxFrameSize": r.u32("maxFrameSize"),
             "connectionId": str(r.u64("connectionId")), "sessionId": r.take(16, "sessionId").hex(),
             "lastReceivedSeq": str(r.u64("lastReceivedSeq")),
             "sessionResetReason": r.u16("sessionResetReason"), "lostCount": r.u32("lostCount")}
        n = r.u16("serverIdLen")
        if n > 256:
            fail("serverIdLen %d > 256" % n)
        f["serverId"] = r.utf8(n, "serverId")
        f["extensions"] = r.extensions()
        if f["version"] == 0:
            fail("version 0")
        if f["heartbeatIntervalMs"] == 0 or f["heartbeatTimeoutMs"] == 0:
            fail("zero heartbeat value")
        if f["maxFrameSize"] < MIN_MAX_FRAME_SIZE:
            fail("maxFrameSize < 1024")
        if flags & 0x02 and not flags & 0x01:
            fail("RESUMED without SESSION")
        if flags & 0x02 and f["sessionResetReason"] != 0:
            fail("RESUMED with a sessionResetReason")
        return name, flags, f
    if t == DATA:
        f = {"seq": str(r.u64("seq")) if flags & 0x01 else None,
             "ack": str(r.u64("ack")) if flags & 0x02 else None}
        f["payload"] = r.rest().hex()
        return name, flags, f
    if t in (ACK, PING, PONG):
        if length != 8:
            fail("%s body length %d != 8" % (name, length))
        v = str(r.u64("value"))
        return name, flags, ({"ack": v} if t == ACK else {"value": v})
    if t == GOAWAY:
        f = {"retryAfterMs": r.u32("retryAfterMs"), "drainMs": r.u32("drainMs")}
        f["reason"] = r.utf8(r.u16("reasonLen"), "reason")
        f["extensions"] = r.extensions()
        return name, flags, f
    if t == CLOSE:
        f = {"code": r.u16("code"), "retryAfterMs": r.u32("retryAfterMs")}
        f["reason"] = r.utf8(r.u16("reasonLen"), "reason")
        f["extensions"] = r.extensions()
        return name, flags, f
    raise AssertionError


# --------------------------------------------------------------------------- vectors

def hello_fields(**kw):
    f = {"minVersion": 1, "maxVersion": 1, "heartbeatIntervalMs": 0, "heartbeatTimeoutMs": 0,
         "maxFrameSize": DEFAULT_MAX, "sessionId": ZERO_SESSION, "lastReceivedSeq": "0",
         "clientId": "", "token": "", "extensions": []}
    f.update(kw)
    return f


def welcome_fields(**kw):
    f = {"version": 1, "heartbeatIntervalMs": 30000, "heartbeatTimeoutMs": 75000,
         "maxFrameSize": DEFAULT_MAX, "connectionId": "1", "sessionId": ZERO_SESSION,
         "lastReceivedSeq": "0", "sessionResetReason": 0, "lostCount": 0, "serverId": "node-a",
         "extensions": []}
    f.update(kw)
    return f


def goaway_fields(**kw):
    f = {"retryAfterMs": 0, "drainMs": 0, "reason": "", "extensions": []}
    f.update(kw)
    return f


def close_fields(**kw):
    f = {"code": 1000, "retryAfterMs": 0, "reason": "", "extensions": []}
    f.update(kw)
    return f


def data_fields(seq=None, ack=None, payload=b""):
    return {"seq": seq, "ack": ack, "payload": payload.hex()}


def ext(key, value):
    return {"key": key, "value": value.hex() if isinstance(value, bytes) else value}


RESUME_SESSION = "00112233445566778899aabbccddeeff"
NEW_SESSION = "9f86d081884c7d659a2feaa0c55ad015"
RESET_SESSION = "5e884898da28047151d0e56f8dc62927"
TOKEN = "deadbeef00c0ffee"

VALID = [
    ("hello-minimal-anonymous",
     "HELLO without flags: version 1..1, no heartbeat preference (0/0), maxFrameSize 1 MiB, anonymous (empty clientId), no token, no extensions.",
     "HELLO", 0x00, hello_fields()),
    ("hello-session-client-id-token",
     "HELLO asking for a new reliable session (SESSION), clientId \"sensor-42\", an 8-byte opaque token, proposing heartbeat interval 10000 ms and timeout 25000 ms, maxFrameSize 65536.",
     "HELLO", 0x01, hello_fields(heartbeatIntervalMs=10000, heartbeatTimeoutMs=25000, maxFrameSize=65536,
                                 clientId="sensor-42", token=TOKEN)),
    ("hello-resume",
     "HELLO resuming session 00112233445566778899aabbccddeeff (SESSION|RESUME) with lastReceivedSeq 41, clientId \"sensor-42\", a token, and one private extension item (key 0x8001, 2-byte value) that a server not knowing it ignores.",
     "HELLO", 0x03, hello_fields(sessionId=RESUME_SESSION, lastReceivedSeq="41", clientId="sensor-42",
                                 token=TOKEN, extensions=[ext(0x8001, "cafe")])),
    ("hello-client-id-256",
     "HELLO with the longest allowed clientId: 256 bytes (256 x \"a\"). Boundary case; 257 is invalid.",
     "HELLO", 0x00, hello_fields(clientId="a" * 256)),
    ("welcome-no-session",
     "WELCOME without flags: version 1, heartbeat 30000/75000 ms (server defaults), maxFrameSize 1 MiB, connectionId 1, no session (zero sessionId), serverId \"node-a\".",
     "WELCOME", 0x00, welcome_fields()),
    ("welcome-new-session",
     "WELCOME granting a new session (SESSION): a fresh random sessionId, lastReceivedSeq 0, heartbeat 10000/25000 ms as decided for hello-session-client-id-token.",
     "WELCOME", 0x01, welcome_fields(heartbeatIntervalMs=10000, heartbeatTimeoutMs=25000, connectionId="2",
                                     sessionId=NEW_SESSION)),
    ("welcome-resumed",
     "WELCOME resuming the session requested by hello-resume (SESSION|RESUMED): same sessionId, the server's lastReceivedSeq 17 (it received client seqs 1..17 in order).",
     "WELCOME", 0x03, welcome_fields(connectionId="3", sessionId=RESUME_SESSION, lastReceivedSeq="17")),
    ("welcome-session-reset-expired",
     "WELCOME answering a RESUME that failed: SESSION set, RESUMED clear, a NEW sessionId, lastReceivedSeq 0, sessionResetReason 2 (EXPIRED), lostCount 7.",
     "WELCOME", 0x01, welcome_fields(connectionId="4", sessionId=RESET_SESSION, sessionResetReason=2,
                                     lostCount=7)),
    ("welcome-session-reset-unknown",
     "WELCOME answering a RESUME of a session the server never had (or lost in a restart): sessionResetReason 1 (UNKNOWN), lostCount 0xFFFFFFFF (unknown), new sessionId.",
     "WELCOME", 0x01, welcome_fields(connectionId="5", sessionId=RESET_SESSION, sessionResetReason=1,
                                     lostCount=0xFFFFFFFF)),
    ("data-empty",
     "DATA without flags and an empty payload (a legal, empty application message).",
     "DATA", 0x00, data_fields()),
    ("data-plain",
     "DATA without flags, payload \"hello\" (outside a session).",
     "DATA", 0x00, data_fields(payload=b"hello")),
    ("data-seq",
     "DATA with SEQ: sequence number 1 (first message of a session direction), payload \"hello\".",
     "DATA", 0x01, data_fields(seq="1", payload=b"hello")),
    ("data-seq-ack",
     "DATA with SEQ|ACK: seq 42, piggy-backed cumulative ack 17 (the seq comes first), payload \"hello\".",
     "DATA", 0x03, data_fields(seq="42", ack="17", payload=b"hello")),
    ("data-ack-only",
     "DATA with only ACK: the ack (17) follows the header directly, payload \"hello\". Well-formed at the frame layer (decoders MUST accept it), but no v1 connection state allows sending it (in a session DATA MUST carry SEQ, outside a session it MUST NOT carry ACK), so a connection that receives it closes with PROTOCOL_ERROR.",
     "DATA", 0x02, data_fields(ack="17", payload=b"hello")),
    ("data-utf8-payload",
     "DATA without flags whose payload is the UTF-8 encoding of \"h\u00e9llo \u2713\" (10 bytes; the payload is opaque bytes to Tether).",
     "DATA", 0x00, data_fields(payload="h\u00e9llo \u2713".encode("utf-8"))),
    ("ack",
     "ACK: cumulative acknowledgement 32 (every seq <= 32 received in order).",
     "ACK", 0x00, {"ack": "32"}),
    ("ping",
     "PING with opaque value 123456789.",
     "PING", 0x00, {"value": "123456789"}),
    ("pong",
     "PONG answering the PING above: the same value 123456789, unchanged.",
     "PONG", 0x00, {"value": "123456789"}),
    ("ping-max-u64",
     "PING with value 2^64-1 (all bits set): values are full unsigned 64-bit.",
     "PING", 0x00, {"value": str(U64_MAX)}),
    ("goaway-alternate-endpoint",
     "GOAWAY: retryAfterMs 5000, drainMs 30000, reason \"server restarting\", one ALTERNATE_ENDPOINT (key 0x0001) extension \"10.0.0.2:7447\".",
     "GOAWAY", 0x00, goaway_fields(retryAfterMs=5000, drainMs=30000, reason="server restarting",
                                   extensions=[ext(0x0001, b"10.0.0.2:7447")])),
    ("close-normal",
     "CLOSE 1000 NORMAL, no retry hint, empty reason, no extensions.",
     "CLOSE", 0x00, close_fields()),
    ("close-heartbeat-timeout",
     "CLOSE 1006 HEARTBEAT_TIMEOUT, no retry hint, reason \"heartbeat timeout\".",
     "CLOSE", 0x00, close_fields(code=1006, reason="heartbeat timeout")),
    ("close-server-busy-retry",
     "CLOSE 1008 SERVER_BUSY with retryAfterMs 2000, reason \"server busy\".",
     "CLOSE", 0x00, close_fields(code=1008, retryAfterMs=2000, reason="server busy")),
    ("close-unsupported-version",
     "CLOSE 1003 UNSUPPORTED_VERSION with the reason naming the server's range, \"server supports versions 1-1\".",
     "CLOSE", 0x00, close_fields(code=1003, reason="server supports versions 1-1")),
    ("close-going-away-extensions",
     "CLOSE 1001 GOING_AWAY, retryAfterMs 3000, empty reason, two extension items: ALTERNATE_ENDPOINT \"[2001:db8::1]:7447\" and a private key 0x8000 with an empty value (ignored by receivers that do not know it).",
     "CLOSE", 0x00, close_fields(code=1001, retryAfterMs=3000,
                                 extensions=[ext(0x0001, b"[2001:db8::1]:7447"), ext(0x8000, "")])),
    ("extension-frame-0x40",
     "Extension frame type 0x40, no flags, 4-byte body 00010203. A receiver that does not know type 0x40 skips it.",
     "EXTENSION", 0x00, {"typeCode": 0x40, "body": "00010203"}),
    ("extension-frame-0x7f-flags",
     "Extension frame type 0x7f with flags 0x80 and an empty body. Flags of extension frames are defined by the extension, so a receiver that does not know the type skips the frame whatever its flags.",
     "EXTENSION", 0x80, {"typeCode": 0x7F, "body": ""}),
    ("hello-resume-zero-session",
     "HELLO with SESSION|RESUME and the all-zero sessionId, lastReceivedSeq 0: a well-formed frame (no frame-level rule forbids it). No session ever has the zero id, so a server answers it as a resume of an unknown session: WELCOME with SESSION, a new sessionId, RESUMED clear, lastReceivedSeq 0, sessionResetReason 1 (UNKNOWN), lostCount 0xFFFFFFFF, as in welcome-session-reset-unknown (section 10.6).",
     "HELLO", 0x03, hello_fields()),
]


def hello_raw(flags=0, magic=b"TTHR", min_v=1, max_v=1, max_frame=DEFAULT_MAX, client_id=b"",
              client_id_len=None, token=b"", token_len=None, tail=None, length=None):
    """A HELLO built field by field so single fields can be made invalid."""
    segs = [(magic, "magic " + describe_bytes(magic)),
            (u8(min_v), "minVersion %d" % min_v), (u8(max_v), "maxVersion %d" % max_v),
            (u32(0), "heartbeatIntervalMs 0"), (u32(0), "heartbeatTimeoutMs 0"),
            (u32(max_frame), "maxFrameSize %d" % max_frame),
            (bytes(16), "sessionId (zero)"), (u64(0), "lastReceivedSeq 0")]
    segs += str_segs(2, client_id, "clientId", client_id_len)
    if tail is not None:          # replaces tokenLen/token/extensions entirely
        segs += tail
    else:
        segs += str_segs(2, token, "token", token_len)
    return frame(HELLO, flags, segs, length)


def welcome_raw(flags=0, version=1, interval=30000, timeout=75000, max_frame=DEFAULT_MAX,
                session=bytes(16), reason=0, server_id=b"node-a", server_id_len=None):
    segs = [(u8(version), "version %d" % version),
            (u32(interval), "heartbeatIntervalMs %d" % interval),
            (u32(timeout), "heartbeatTimeoutMs %d" % timeout),
            (u32(max_frame), "maxFrameSize %d" % max_frame),
            (u64(1), "connectionId 1"),
            (session, "sessionId"), (u64(0), "lastReceivedSeq 0"),
            (u16(reason), "sessionResetReason %d" % reason), (u32(0), "lostCount 0")]
    segs += str_segs(2, server_id, "serverId", server_id_len)
    return frame(WELCOME, flags, segs)


def raw_frame(t, flags, body, note="body", length=None):
    return frame(t, flags, [(body, note)] if body else [], length)


PE, TL = "PROTOCOL_ERROR", "FRAME_TOO_LARGE"
NO_REPLY = (" A malformed CLOSE gets no reply: the receiver sends no frame and closes the TCP connection;"
            " a client then reconnects as after PROTOCOL_ERROR (section 2.5).")

INVALID = [
    ("reserved-type-0x00", "Frame type 0x00 is reserved.", DEFAULT_MAX, PE,
     raw_frame(0x00, 0, b"")),
    ("reserved-type-0x09", "Frame type 0x09 (first value after CLOSE) is reserved.", DEFAULT_MAX, PE,
     raw_frame(0x09, 0, b"\x00\x00\x00\x00")),
    ("reserved-type-0x3f", "Frame type 0x3f (last value below the extension range) is reserved.", DEFAULT_MAX, PE,
     raw_frame(0x3F, 0, b"")),
    ("reserved-type-0x80", "Frame type 0x80 (first value above the extension range) is reserved.", DEFAULT_MAX, PE,
     raw_frame(0x80, 0, b"\x01\x02")),
    ("reserved-type-0xff", "Frame type 0xff is reserved.", DEFAULT_MAX, PE,
     raw_frame(0xFF, 0, b"")),
    ("data-reserved-flag-0x04", "DATA with reserved flag bit 0x04 set.", DEFAULT_MAX, PE,
     raw_frame(DATA, 0x04, b"hello", 'payload "hello"')),
    ("data-reserved-flag-0x80", "DATA with reserved flag bit 0x80 set.", DEFAULT_MAX, PE,
     raw_frame(DATA, 0x80, b"hello", 'payload "hello"')),
    ("ping-reserved-flag-0x01", "PING with flag bit 0x01 set; PING defines no flags.", DEFAULT_MAX, PE,
     raw_frame(PING, 0x01, u64(1), "value 1")),
    ("ack-reserved-flag-0x02", "ACK with flag bit 0x02 set; ACK defines no flags.", DEFAULT_MAX, PE,
     raw_frame(ACK, 0x02, u64(1), "ack 1")),
    ("ping-body-length-7", "PING without flags whose body is 7 bytes; PING bodies are exactly 8 bytes.", DEFAULT_MAX, PE,
     raw_frame(PING, 0, bytes.fromhex("00000000075bcd"), "7 bytes")),
    ("pong-body-length-9", "PONG whose body is 9 bytes; PONG bodies are exactly 8 bytes.", DEFAULT_MAX, PE,
     raw_frame(PONG, 0, u64(123456789) + b"\x00", "8-byte value + 1 extra byte")),
    ("ack-body-length-4", "ACK whose body is 4 bytes; ACK bodies are exactly 8 bytes.", DEFAULT_MAX, PE,
     raw_frame(ACK, 0, u32(32), "4 bytes")),
    ("data-seq-body-too-short", "DATA with SEQ but a 5-byte body: the 8-byte seq does not fit.", DEFAULT_MAX, PE,
     raw_frame(DATA, 0x01, b"\x00\x00\x00\x00\x01", "5 bytes (seq needs 8)")),
    ("data-seq-ack-body-12", "DATA with SEQ|ACK but a 12-byte body: seq + ack need 16.", DEFAULT_MAX, PE,
     frame(DATA, 0x03, [(u64(42), "seq 42"), (u32(17), "4 bytes (ack needs 8)")])),
    ("data-ack-body-too-short", "DATA with only ACK but a 4-byte body: the 8-byte ack does not fit.", DEFAULT_MAX, PE,
     raw_frame(DATA, 0x02, u32(17), "4 bytes (ack needs 8)")),
    ("data-too-large-for-1024",
     "DATA header declaring a 2000-byte body to a receiver whose maxFrameSize is 1024. Only the 6-byte header is given: the receiver rejects the frame from the header alone, before reading or allocating the body.",
     1024, TL, [header_seg(DATA, 0, 2000, "DATA, no flags, body length 2000 (> 1024); body not read")]),
    ("header-length-0xffffffff",
     "Header declaring a 4294967295-byte body (DATA type). Rejected from the header alone; only the header is given.",
     DEFAULT_MAX, TL, [header_seg(DATA, 0, 0xFFFFFFFF, "DATA, no flags, body length 4294967295; body not read")]),
    ("hello-too-large-before-handshake",
     "HELLO header declaring an 8193-byte body: before the handshake completes the limit is 8192. Header only.",
     HANDSHAKE_MAX, TL, [header_seg(HELLO, 0, 8193, "HELLO, no flags, body length 8193 (> 8192); body not read")]),
    ("hello-bad-magic", "HELLO whose magic is \"TTHX\" instead of \"TTHR\".", HANDSHAKE_MAX, PE,
     hello_raw(magic=b"TTHX")),
    ("hello-body-too-short",
     "HELLO body of 44 bytes: it ends after clientIdLen (0), so tokenLen is missing (minimum body is 46).",
     HANDSHAKE_MAX, PE, hello_raw(tail=[])),
    ("hello-client-id-overruns-body",
     "HELLO truncated: clientIdLen says 9 but only 6 body bytes (\"sensor\") remain.", HANDSHAKE_MAX, PE,
     hello_raw(client_id=b"sensor", client_id_len=9, tail=[])),
    ("hello-client-id-len-257",
     "HELLO with clientIdLen 257 (maximum 256); the 257 bytes are present, so only the bound is violated.",
     HANDSHAKE_MAX, PE, hello_raw(client_id=b"a" * 257)),
    ("hello-token-len-4097",
     "HELLO with tokenLen 4097 (maximum 4096); the 4097 token bytes are present (body 4143 bytes, within 8192).",
     HANDSHAKE_MAX, PE, hello_raw(token=b"\x00" * 4097)),
    ("hello-resume-without-session", "HELLO with RESUME (0x02) but without SESSION (0x01).", HANDSHAKE_MAX, PE,
     hello_raw(flags=0x02)),
    ("hello-max-frame-size-100", "HELLO announcing maxFrameSize 100 (minimum 1024).", HANDSHAKE_MAX, PE,
     hello_raw(max_frame=100)),
    ("hello-min-version-greater-than-max", "HELLO with minVersion 2 > maxVersion 1.", HANDSHAKE_MAX, PE,
     hello_raw(min_v=2, max_v=1)),
    ("hello-min-version-0", "HELLO with minVersion 0; versions are numbered from 1.", HANDSHAKE_MAX, PE,
     hello_raw(min_v=0, max_v=1)),
    ("hello-invalid-utf8-client-id",
     "HELLO whose clientId bytes c3 28 are not valid UTF-8 (a lead byte followed by a non-continuation byte).",
     HANDSHAKE_MAX, PE, hello_raw(client_id=b"\xc3\x28")),
    ("hello-extension-header-overrun",
     "HELLO ending with 3 stray bytes after the token: too short for a 4-byte TLV item header.", HANDSHAKE_MAX, PE,
     hello_raw(tail=[(u16(0), "tokenLen 0"), (b"\x80\x01\x00", "3 bytes: incomplete TLV header")])),
    ("welcome-version-0", "WELCOME choosing version 0; versions are numbered from 1.", HANDSHAKE_MAX, PE,
     welcome_raw(version=0)),
    ("welcome-max-frame-size-1023", "WELCOME announcing maxFrameSize 1023 (minimum 1024).", HANDSHAKE_MAX, PE,
     welcome_raw(max_frame=1023)),
    ("welcome-heartbeat-interval-0",
     "WELCOME with a decided heartbeatIntervalMs of 0; the decided interval and timeout are never 0.",
     HANDSHAKE_MAX, PE, welcome_raw(interval=0)),
    ("welcome-server-id-len-257",
     "WELCOME with serverIdLen 257 (maximum 256); the 257 bytes are present.", HANDSHAKE_MAX, PE,
     welcome_raw(server_id=b"n" * 257)),
    ("welcome-resumed-without-session", "WELCOME with RESUMED (0x02) but without SESSION (0x01).", HANDSHAKE_MAX, PE,
     welcome_raw(flags=0x02, session=bytes.fromhex(RESUME_SESSION))),
    ("welcome-resumed-with-reset-reason",
     "WELCOME with SESSION|RESUMED but sessionResetReason 2: a resumed session has no reset reason.",
     HANDSHAKE_MAX, PE, welcome_raw(flags=0x03, session=bytes.fromhex(RESUME_SESSION), reason=2)),
    ("welcome-reserved-flag-0x04", "WELCOME with reserved flag bit 0x04 set.", HANDSHAKE_MAX, PE,
     welcome_raw(flags=0x04)),
    ("goaway-body-too-short", "GOAWAY with a 9-byte body: retryAfterMs + drainMs + reasonLen need 10.",
     DEFAULT_MAX, PE, frame(GOAWAY, 0, [(u32(5000), "retryAfterMs 5000"), (u32(30000), "drainMs 30000"),
                                        (b"\x00", "1 byte (reasonLen needs 2)")])),
    ("goaway-invalid-utf8-reason", "GOAWAY whose reason is the lone continuation byte 0x80 (invalid UTF-8).",
     DEFAULT_MAX, PE, frame(GOAWAY, 0, [(u32(0), "retryAfterMs 0"), (u32(0), "drainMs 0"),
                                        (u16(1), "reasonLen 1"), (b"\x80", "reason: invalid UTF-8")])),
    ("close-reason-overrun", "CLOSE whose reasonLen (17) overruns the body (only 5 reason bytes follow)." + NO_REPLY,
     DEFAULT_MAX, PE, frame(CLOSE, 0, [(u16(1006), "code 1006"), (u32(0), "retryAfterMs 0"),
                                       (u16(17), "reasonLen 17"), (b"heart", 'only 5 bytes "heart"')])),
    ("close-extension-overrun",
     "CLOSE 1001 whose single extension item declares a 13-byte value but only 4 bytes follow." + NO_REPLY, DEFAULT_MAX, PE,
     frame(CLOSE, 0, [(u16(1001), "code 1001"), (u32(0), "retryAfterMs 0"), (u16(0), "reasonLen 0"),
                      (u16(1) + u16(13), "extension key 0x0001, length 13"), (b"10.0", 'only 4 bytes "10.0"')])),
    ("close-body-too-short", "CLOSE with a 7-byte body: code + retryAfterMs + reasonLen need 8." + NO_REPLY, DEFAULT_MAX, PE,
     frame(CLOSE, 0, [(u16(1000), "code 1000"), (u32(0), "retryAfterMs 0"), (b"\x00", "1 byte (reasonLen needs 2)")])),
    ("close-invalid-utf8-reason",
     "CLOSE 1000 whose reason bytes c3 28 are not valid UTF-8 (a lead byte followed by a non-continuation byte)." + NO_REPLY,
     DEFAULT_MAX, PE, frame(CLOSE, 0, [(u16(1000), "code 1000"), (u32(0), "retryAfterMs 0"), (u16(2), "reasonLen 2"),
                                       (b"\xc3\x28", "reason: invalid UTF-8")])),
]


# --------------------------------------------------------------------------- build + check

def segs_hex(segs):
    return b"".join(b for b, _ in segs).hex()


def check_flags(ftype, flags, fields):
    if ftype == "DATA":
        assert bool(flags & 0x01) == (fields["seq"] is not None), "DATA SEQ flag vs seq"
        assert bool(flags & 0x02) == (fields["ack"] is not None), "DATA ACK flag vs ack"
        assert flags & ~0x03 == 0
    elif ftype == "HELLO":
        assert flags & ~0x03 == 0
        assert not (flags & 0x02 and not flags & 0x01)
        resume = bool(flags & 0x02)
        assert resume or (fields["sessionId"] == ZERO_SESSION and fields["lastReceivedSeq"] == "0"), \
            "HELLO sessionId/lastReceivedSeq must be zero without RESUME"
    elif ftype == "WELCOME":
        assert flags & ~0x03 == 0
        session, resumed = bool(flags & 0x01), bool(flags & 0x02)
        assert session or not resumed
        assert session == (fields["sessionId"] != ZERO_SESSION), "WELCOME sessionId zero iff no session"
        if not session:
            assert fields["lastReceivedSeq"] == "0" and fields["sessionResetReason"] == 0
        if resumed:
            assert fields["sessionResetReason"] == 0 and fields["lostCount"] == 0
        if fields["sessionResetReason"] == 0:
            assert fields["lostCount"] == 0
        else:
            assert fields["lastReceivedSeq"] == "0", "a reset session is new"
    elif ftype == "EXTENSION":
        assert 0x40 <= fields["typeCode"] <= 0x7F
    else:
        assert flags == 0


def build():
    valid = []
    names = set()
    for name, desc, ftype, flags, fields in VALID:
        assert name not in names, name
        names.add(name)
        check_flags(ftype, flags, fields)
        segs = encode_valid(ftype, flags, fields)
        hx = segs_hex(segs)
        data = bytes.fromhex(hx)
        # length field equals the actual body length, and bodies fit the smallest legal maximum
        assert struct.unpack(">I", data[2:6])[0] == len(data) - 6, name
        assert len(data) - 6 <= MIN_MAX_FRAME_SIZE, name
        for limit in (MIN_MAX_FRAME_SIZE, HANDSHAKE_MAX, DEFAULT_MAX):
            got = decode(data, limit)
            assert got == (ftype, flags, fields), "%s: round trip mismatch\n%r\n%r" % (name, got, fields)
        valid.append(({"name": name, "description": desc, "hex": hx,
                       "frame": {"type": ftype, "flags": flags, "fields": fields}}, segs))
    invalid = []
    for name, desc, max_size, error, segs in INVALID:
        assert name not in names, name
        names.add(name)
        hx = segs_hex(segs)
        data = bytes.fromhex(hx)
        declared = struct.unpack(">I", data[2:6])[0]
        header_only = error == TL
        assert (len(data) == 6) if header_only else (len(data) == 6 + declared), name
        try:
            decode(data, max_size)
        except ProtocolError as e:
            assert e.error == error, "%s: expected %s, got %s" % (name, error, e)
            why = e.why
        else:
            raise AssertionError("%s decoded without error" % name)
        # the same bytes must still be rejected (with the same error) under a larger limit,
        # unless the vector is specifically about the limit
        if not header_only:
            try:
                decode(data, DEFAULT_MAX)
                raise AssertionError(name)
            except ProtocolError as e:
                assert e.error == error and e.why == why, name
        invalid.append(({"name": name, "description": desc, "hex": hx, "maxFrameSize": max_size,
                         "error": error}, segs, why))
    doc = {"protocolVersion": PROTOCOL_VERSION,
           "valid": [v for v, _ in valid],
           "invalid": [v for v, _, _ in invalid]}
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    assert json.loads(text) == doc
    return text, valid, invalid


# --------------------------------------------------------------------------- markdown rendering

def seg_display(b, is_header):
    if is_header:
        return "%02x %02x %s" % (b[0], b[1], b[2:6].hex())
    if len(b) > 24 and len(set(b)) == 1:
        return "%02x x %d" % (b[0], len(b))
    if len(b) > 48:
        return "%s .. (%d bytes)" % (b[:8].hex(), len(b))
    return b.hex()


def dump(segs):
    rows = [(seg_display(b, i == 0), note) for i, (b, note) in enumerate(segs)]
    width = max(len(h) for h, _ in rows)
    return "\n".join(("%-*s  %s" % (width, h, n)).rstrip() for h, n in rows)


def error_text(vector):
    """The error, and for a CLOSE that the receiver does not answer, say so."""
    if bytes.fromhex(vector["hex"])[0] == CLOSE:
        return "%s, no reply" % vector["error"]
    return vector["error"]


def markdown(valid, invalid):
    out = []
    out.append("Long runs are abbreviated in the dumps below as `61 x 256` (the byte 0x61 repeated 256 times); "
               "the JSON file always holds the full hex.\n")
    out.append("### 17.2 Valid vectors\n")
    out.append("| # | name | type | flags | body bytes | whole frame (hex; long frames: see the dump) |")
    out.append("|---|---|---|---|---|---|")
    for i, (v, segs) in enumerate(valid, 1):
        data = bytes.fromhex(v["hex"])
        whole = "`%s`" % " ".join(seg_display(b, j == 0) for j, (b, _) in enumerate(segs)) if len(data) <= 32 else "(see dump)"
        out.append("| V%d | `%s` | %s | 0x%02x | %d | %s |" % (i, v["name"], v["frame"]["type"], v["frame"]["flags"],
                                                              len(data) - 6, whole))
    out.append("")
    for i, (v, segs) in enumerate(valid, 1):
        out.append("#### V%d `%s`\n" % (i, v["name"]))
        out.append(v["description"] + "\n")
        out.append("```text\n%s\n```\n" % dump(segs))
    out.append("### 17.3 Invalid vectors\n")
    out.append("| # | name | receiver maxFrameSize | error | violated rule |")
    out.append("|---|---|---|---|---|")
    for i, (v, segs, why) in enumerate(invalid, 1):
        out.append("| I%d | `%s` | %d | %s | %s |" % (i, v["name"], v["maxFrameSize"], error_text(v), why))
    out.append("")
    for i, (v, segs, why) in enumerate(invalid, 1):
        out.append("#### I%d `%s` -> %s (maxFrameSize %d)\n" % (i, v["name"], error_text(v), v["maxFrameSize"]))
        out.append(v["description"] + "\n")
        out.append("```text\n%s\n```\n" % dump(segs))
    return "\n".join(out).rstrip() + "\n"


def splice(doc_text, section):
    start = doc_text.index(BEGIN_MARK) + len(BEGIN_MARK)
    end = doc_text.index(END_MARK)
    return doc_text[:start] + "\n" + section + doc_text[end:]


def main(argv):
    text, valid, invalid = build()
    section = markdown(valid, invalid)
    if "--markdown" in argv:
        sys.stdout.write(section)
        return 0
    if "--check" in argv:
        ok = JSON_PATH.read_text(encoding="utf-8") == text
        doc = DOC_PATH.read_text(encoding="utf-8")
        ok = ok and splice(doc, section) == doc
        print("up to date" if ok else "OUT OF DATE: run make_protocol_vectors.py --update-doc")
        return 0 if ok else 1
    JSON_PATH.write_text(text, encoding="utf-8")
    print("wrote %s (%d valid, %d invalid)" % (JSON_PATH, len(valid), len(invalid)))
    if "--update-doc" in argv:
        DOC_PATH.write_text(splice(DOC_PATH.read_text(encoding="utf-8"), section), encoding="utf-8")
        print("updated %s" % DOC_PATH)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
