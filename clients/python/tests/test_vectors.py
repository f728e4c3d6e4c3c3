"""Every vector of docs/protocol-vectors.json: valid ones decode to their fields and re-encode to the same hex,
invalid ones are rejected with the named error."""

from __future__ import annotations

import json
import os
import struct
import unittest
from typing import Any, Dict

from tether_client import frames
from tether_client.errors import MalformedCloseError, ProtocolError

VECTORS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "protocol-vectors.json")


def load() -> Dict[str, Any]:
    with open(VECTORS, encoding="utf-8") as handle:
        return dict(json.load(handle))


def decode_whole(raw: bytes, max_body: int) -> frames.Frame:
    """What a receiver does with one frame: header checks first (the body may be absent), then the body."""
    frame_type, flags, length = struct.unpack(">BBI", raw[:6])
    frames.check_header(frame_type, flags, length, max_body)
    body = raw[6:]
    if len(body) != length:
        raise AssertionError(f"vector body is {len(body)} bytes, header says {length}")
    return frames.decode(frame_type, flags, body)


def _u64(value: Any) -> Any:
    return None if value is None else str(value)


def _extensions(items: Any) -> Any:
    return [{"key": item.key, "value": item.value.hex()} for item in items]


def to_json(frame: frames.Frame) -> Dict[str, Any]:
    """The frame in the vector file's notation."""
    if isinstance(frame, frames.Hello):
        return {"type": "HELLO", "flags": (1 if frame.session else 0) | (2 if frame.resume else 0), "fields": {
            "minVersion": frame.min_version, "maxVersion": frame.max_version,
            "heartbeatIntervalMs": frame.heartbeat_interval_ms, "heartbeatTimeoutMs": frame.heartbeat_timeout_ms,
            "maxFrameSize": frame.max_frame_size, "sessionId": frame.session_id.hex(),
            "lastReceivedSeq": _u64(frame.last_received_seq), "clientId": frame.client_id, "token": frame.token.hex(),
            "extensions": _extensions(frame.extensions)}}
    if isinstance(frame, frames.Welcome):
        return {"type": "WELCOME", "flags": (1 if frame.session else 0) | (2 if frame.resumed else 0), "fields": {
            "version": frame.version, "heartbeatIntervalMs": frame.heartbeat_interval_ms,
            "heartbeatTimeoutMs": frame.heartbeat_timeout_ms, "maxFrameSize": frame.max_frame_size,
            "connectionId": _u64(frame.connection_id), "sessionId": frame.session_id.hex(),
            "lastReceivedSeq": _u64(frame.last_received_seq), "sessionResetReason": frame.session_reset_reason,
            "lostCount": frame.lost_count, "serverId": frame.server_id, "extensions": _extensions(frame.extensions)}}
    if isinstance(frame, frames.Data):
        flags = (1 if frame.seq is not None else 0) | (2 if frame.ack is not None else 0)
        return {"type": "DATA", "flags": flags,
                "fields": {"seq": _u64(frame.seq), "ack": _u64(frame.ack), "payload": frame.payload.hex()}}
    if isinstance(frame, frames.Ack):
        return {"type": "ACK", "flags": 0, "fields": {"ack": _u64(frame.ack)}}
    if isinstance(frame, (frames.Ping, frames.Pong)):
        return {"type": type(frame).__name__.upper(), "flags": 0, "fields": {"value": _u64(frame.value)}}
    if isinstance(frame, frames.GoAway):
        return {"type": "GOAWAY", "flags": 0, "fields": {
            "retryAfterMs": frame.retry_after_ms, "drainMs": frame.drain_ms, "reason": frame.reason,
            "extensions": _extensions(frame.extensions)}}
    if isinstance(frame, frames.Close):
        return {"type": "CLOSE", "flags": 0, "fields": {
            "code": frame.code, "retryAfterMs": frame.retry_after_ms, "reason": frame.reason,
            "extensions": _extensions(frame.extensions)}}
    assert isinstance(frame, frames.ExtensionFrame)
    return {"type": "EXTENSION", "flags": frame.flags, "fields": {"typeCode": frame.type_code, "body": frame.body.hex()}}


def from_json(spec: Dict[str, Any]) -> frames.Frame:
    """Builds the frame from the vector's fields (the encoder's input)."""
    kind, flags, f = spec["type"], spec["flags"], spec["fields"]

    def ext(items: Any) -> Any:
        return tuple(frames.Extension(item["key"], bytes.fromhex(item["value"])) for item in items)

    def opt(value: Any) -> Any:
        return None if value is None else int(value)

    if kind == "HELLO":
        return frames.Hello(f["minVersion"], f["maxVersion"], f["heartbeatIntervalMs"], f["heartbeatTimeoutMs"],
                            f["maxFrameSize"], bytes.fromhex(f["sessionId"]), int(f["lastReceivedSeq"]), f["clientId"],
                            bytes.fromhex(f["token"]), ext(f["extensions"]), bool(flags & 1), bool(flags & 2))
    if kind == "WELCOME":
        return frames.Welcome(f["version"], f["heartbeatIntervalMs"], f["heartbeatTimeoutMs"], f["maxFrameSize"],
                              int(f["connectionId"]), bytes.fromhex(f["sessionId"]), int(f["lastReceivedSeq"]),
                              f["sessionResetReason"], f["lostCount"], f["serverId"], ext(f["extensions"]),
                              bool(flags & 1), bool(flags & 2))
    if kind == "DATA":
        return frames.Data(bytes.fromhex(f["payload"]), opt(f["seq"]), opt(f["ack"]))
    if kind == "ACK":
        return frames.Ack(int(f["ack"]))
    if kind == "PING":
        return frames.Ping(int(f["value"]))
    if kind == "PONG":
        return frames.Pong(int(f["value"]))
    if kind == "GOAWAY":
        return frames.GoAway(f["retryAfterMs"], f["drainMs"], f["reason"], ext(f["extensions"]))
    if kind == "CLOSE":
        return frames.Close(f["code"], f["retryAfterMs"], f["reason"], ext(f["extensions"]))
    return frames.ExtensionFrame(f["typeCode"], flags, bytes.fromhex(f["body"]))


class ValidVectorTests(unittest.TestCase):
    def test_every_valid_vector_decodes_to_its_fields(self) -> None:
        vectors = load()["valid"]
        self.assertGreaterEqual(len(vectors), 27)
        for vector in vectors:
            with self.subTest(vector["name"]):
                frame = decode_whole(bytes.fromhex(vector["hex"]), frames.DEFAULT_MAX_FRAME_SIZE)
                self.assertEqual(vector["frame"], to_json(frame))

    def test_every_valid_vector_reencodes_to_the_same_hex(self) -> None:
        for vector in load()["valid"]:
            with self.subTest(vector["name"]):
                self.assertEqual(vector["hex"], frames.encode(from_json(vector["frame"])).hex())


class InvalidVectorTests(unittest.TestCase):
    def test_every_invalid_vector_is_rejected_with_the_named_error(self) -> None:
        vectors = load()["invalid"]
        self.assertGreaterEqual(len(vectors), 41)
        for vector in vectors:
            with self.subTest(vector["name"]):
                with self.assertRaises(ProtocolError) as caught:
                    decode_whole(bytes.fromhex(vector["hex"]), vector["maxFrameSize"])
                self.assertEqual(vector["error"], caught.exception.error_name, str(caught.exception))

    def test_a_malformed_close_is_marked_as_such(self) -> None:
        # D1: the receiver of a malformed CLOSE sends nothing back, so the decoder must tell it apart.
        for vector in load()["invalid"]:
            if vector["name"].startswith("close-"):
                with self.subTest(vector["name"]):
                    with self.assertRaises(MalformedCloseError):
                        decode_whole(bytes.fromhex(vector["hex"]), vector["maxFrameSize"])

    def test_close_with_invalid_utf8_reason_is_malformed(self) -> None:
        raw = frames.header(frames.CLOSE, 0, 9) + struct.pack(">HIH", 1000, 0, 1) + b"\xff"
        with self.assertRaises(MalformedCloseError):
            decode_whole(raw, 1024)

    def test_the_size_check_comes_before_the_body(self) -> None:
        with self.assertRaises(ProtocolError) as caught:
            frames.check_header(frames.DATA, 0, 1025, 1024)
        self.assertEqual(1004, caught.exception.code)
        frames.check_header(frames.DATA, 0, 1024, 1024)


if __name__ == "__main__":
    unittest.main()
