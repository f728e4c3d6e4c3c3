from __future__ import annotations

import datetime
import io
import json
import unittest

from tether_client.events import (ClientErrorEvent, Closed, Connected, Disconnected, Reconnecting, Resumed,
                                  RoundTripTime, SessionLost)
from tether_client.jsonevents import JsonEventWriter, utc_timestamp

TS = "2026-12-07T16:05:00.123Z"


def lines(write: "list[object]") -> "list[dict[str, object]]":
    out = io.StringIO()
    writer = JsonEventWriter(out, clock=lambda: TS)
    for item in write:
        if isinstance(item, bytes):
            writer.message(item)
        else:
            writer.event(item)  # type: ignore[arg-type]
    text = out.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


class JsonEventWriterTests(unittest.TestCase):
    def test_each_event_has_its_fields_in_the_connect_json_format(self) -> None:
        written = lines([
            Connected("127.0.0.1:7447", 1, "node", 30.0, 75.0, None),
            Disconnected("connection-lost", None, "the server closed the connection"),
            Reconnecting(1, 0.4567, "127.0.0.1:7447", None),
            Reconnecting(2, 1.0, "[::1]:7447", "cannot connect"),
            Resumed("00" * 16, 17, 3),
            SessionLost("ab" * 16, "unknown", 2, None, "gone"),
            SessionLost("ab" * 16, "expired", 0, 7, "expired"),
            RoundTripTime(0.0012345),
            ClientErrorEvent("oops"),
            Closed("closed", None, 0),
            Closed("gave-up", "cannot connect", 1),
        ])
        self.assertEqual([
            {"event": "connected", "ts": TS, "endpoint": "127.0.0.1:7447"},
            {"event": "disconnected", "ts": TS, "reason": "connection-lost", "code": None,
             "description": "the server closed the connection"},
            {"event": "reconnecting", "ts": TS, "attempt": 1, "delayMs": 457, "endpoint": "127.0.0.1:7447"},
            {"event": "reconnecting", "ts": TS, "attempt": 2, "delayMs": 1000, "endpoint": "[::1]:7447",
             "lastError": "cannot connect"},
            {"event": "resumed", "ts": TS, "sessionId": "00" * 16, "serverLastReceived": 17, "resent": 3},
            {"event": "session-lost", "ts": TS, "sessionId": "ab" * 16, "reason": "unknown", "unacknowledgedSent": 2,
             "serverReportedLost": None, "description": "gone"},
            {"event": "session-lost", "ts": TS, "sessionId": "ab" * 16, "reason": "expired", "unacknowledgedSent": 0,
             "serverReportedLost": 7, "description": "expired"},
            {"event": "rtt", "ts": TS, "rttMs": 1.234},
            {"event": "error", "ts": TS, "message": "oops"},
            {"event": "closed", "ts": TS, "reason": "closed", "unacknowledged": 0},
            {"event": "closed", "ts": TS, "reason": "gave-up", "description": "cannot connect", "unacknowledged": 1},
        ], written)

    def test_messages_are_text_with_hex_only_when_not_utf8(self) -> None:
        written = lines([b"h\xc3\xa9llo", b"a\xffb", b""])
        self.assertEqual({"event": "message", "ts": TS, "data": "h\u00e9llo"}, written[0])
        self.assertEqual({"event": "message", "ts": TS, "data": "a\ufffdb", "hex": "61ff62"}, written[1])
        self.assertEqual({"event": "message", "ts": TS, "data": ""}, written[2])

    def test_non_ascii_text_stays_readable(self) -> None:
        out = io.StringIO()
        JsonEventWriter(out, clock=lambda: TS).message("w\u00f6rld".encode("utf-8"))
        self.assertIn("w\u00f6rld", out.getvalue())

    def test_timestamps_are_utc_with_milliseconds(self) -> None:
        moment = datetime.datetime(2026, 12, 7, 16, 5, 0, 123456, tzinfo=datetime.timezone.utc)
        self.assertEqual("2026-12-07T16:05:00.123Z", utc_timestamp(moment))

    def test_a_closed_pipe_stops_the_writer_quietly(self) -> None:
        class Broken(io.StringIO):
            def write(self, text: str) -> int:
                raise BrokenPipeError()

        writer = JsonEventWriter(Broken(), clock=lambda: TS)
        writer.message(b"x")
        writer.message(b"y")


if __name__ == "__main__":
    unittest.main()
