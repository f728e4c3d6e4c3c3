"""One JSON object per line for every client event, the format of ``tether connect --json``."""

from __future__ import annotations

import datetime
import json
from typing import Any, Callable, Dict, Optional, TextIO

from .events import ClientErrorEvent, Closed, Connected, Disconnected, Event, Reconnecting, Resumed, RoundTripTime, SessionLost


def utc_timestamp(now: Optional[datetime.datetime] = None) -> str:
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def message_fields(message: bytes) -> Dict[str, Any]:
    """``data`` as text (invalid sequences as U+FFFD), plus ``hex`` only when the message is not valid UTF-8."""
    try:
        return {"data": message.decode("utf-8")}
    except UnicodeDecodeError:
        return {"data": message.decode("utf-8", errors="replace"), "hex": message.hex()}


def event_fields(event: Event) -> Dict[str, Any]:
    """The event's name and fields, in the order ``tether connect --json`` writes them."""
    if isinstance(event, Connected):
        return {"event": "connected", "endpoint": event.endpoint}
    if isinstance(event, Disconnected):
        return {"event": "disconnected", "reason": event.reason, "code": event.code, "description": event.description}
    if isinstance(event, Reconnecting):
        fields: Dict[str, Any] = {"event": "reconnecting", "attempt": event.attempt,
                                  "delayMs": int(round(event.delay * 1000)), "endpoint": event.endpoint}
        if event.last_error is not None:
            fields["lastError"] = event.last_error
        return fields
    if isinstance(event, Resumed):
        return {"event": "resumed", "sessionId": event.session_id, "serverLastReceived": event.server_last_received,
                "resent": event.resent}
    if isinstance(event, SessionLost):
        return {"event": "session-lost", "sessionId": event.session_id, "reason": event.reason,
                "unacknowledgedSent": event.unacknowledged_sent, "serverReportedLost": event.server_reported_lost,
                "description": event.description}
    if isinstance(event, RoundTripTime):
        return {"event": "rtt", "rttMs": round(event.rtt * 1000, 3)}
    if isinstance(event, ClientErrorEvent):
        return {"event": "error", "message": event.message}
    assert isinstance(event, Closed)
    fields = {"event": "closed", "reason": event.reason}
    if event.description is not None:
        fields["description"] = event.description
    fields["unacknowledged"] = event.unacknowledged
    return fields


class JsonEventWriter:
    """Writes and flushes one line per event; stops quietly when the reader has gone away."""

    def __init__(self, output: TextIO, clock: Callable[[], str] = utc_timestamp) -> None:
        self._output = output
        self._clock = clock
        self._broken = False

    def event(self, event: Event) -> None:
        fields = event_fields(event)
        self._write(fields.pop("event"), fields)

    def message(self, message: bytes) -> None:
        self._write("message", message_fields(message))

    def error(self, message: str) -> None:
        self._write("error", {"message": message})

    def _write(self, name: str, fields: Dict[str, Any]) -> None:
        if self._broken:
            return
        line = json.dumps({"event": name, "ts": self._clock(), **fields}, ensure_ascii=False, separators=(",", ":"))
        try:
            self._output.write(line + "\n")
            self._output.flush()
        except (BrokenPipeError, OSError, ValueError):
            self._broken = True
