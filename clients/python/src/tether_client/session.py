"""The client's side of a reliable session (docs/protocol.md §10): numbering, replay buffer, in-order receipt, acks."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Deque, List, Optional, Tuple

from .errors import ProtocolError

DELIVER = "deliver"
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class AckPolicy:
    """When a receiver acknowledges: after ``messages`` or ``bytes`` not yet acknowledged, or ``delay`` seconds."""

    messages: int = 32
    bytes: int = 64 * 1024
    delay: float = 0.2


class SessionGapError(Exception):
    """On resume the server lacks messages this client no longer holds (§10.6 step 4)."""


class ClientSession:
    """State of one session; it outlives connections and is replaced only by a reset."""

    def __init__(self, session_id: bytes, ack_policy: Optional[AckPolicy] = None) -> None:
        self.session_id = session_id
        self.ack_policy = ack_policy or AckPolicy()
        self.last_sent_seq = 0
        self.peer_acked = 0
        self.last_received_seq = 0
        self._replay: Deque[Tuple[int, bytes]] = deque()
        self.replay_bytes = 0
        self._unacked_count = 0
        self._unacked_bytes = 0
        self.ack_due_at: Optional[float] = None

    # --- sending -------------------------------------------------------------------------------------------------

    def add_outbound(self, payload: bytes) -> int:
        """Numbers a message and keeps it until acknowledged; returns its seq."""
        self.last_sent_seq += 1
        self._replay.append((self.last_sent_seq, payload))
        self.replay_bytes += len(payload)
        return self.last_sent_seq

    def has_room(self, size: int, limit: int) -> bool:
        """Whether a message of ``size`` bytes fits under the replay bound (an empty buffer takes any message)."""
        return not self._replay or self.replay_bytes + size <= limit

    @property
    def unacknowledged_count(self) -> int:
        return len(self._replay)

    def unacknowledged(self) -> List[bytes]:
        return [payload for _, payload in self._replay]

    def pending_after(self, seq: int) -> List[Tuple[int, bytes]]:
        return [(s, p) for s, p in self._replay if s > seq]

    def on_ack(self, ack: int) -> int:
        """Frees every message with seq <= ack; returns how many. An ack above what was sent is a PROTOCOL_ERROR."""
        if ack > self.last_sent_seq:
            raise ProtocolError(f"ack {ack} is above the highest seq sent ({self.last_sent_seq})")
        if ack <= self.peer_acked:
            return 0
        self.peer_acked = ack
        freed = 0
        while self._replay and self._replay[0][0] <= ack:
            _, payload = self._replay.popleft()
            self.replay_bytes -= len(payload)
            freed += 1
        return freed

    def resume(self, server_last_received: int) -> List[Tuple[int, bytes]]:
        """Applies the resuming WELCOME's lastReceivedSeq; returns the messages to retransmit, in order."""
        if server_last_received > self.last_sent_seq:
            raise ProtocolError(
                f"WELCOME lastReceivedSeq {server_last_received} is above the highest seq sent ({self.last_sent_seq})")
        if server_last_received < self.peer_acked:
            raise SessionGapError(
                f"the server has only up to seq {server_last_received} but acknowledged {self.peer_acked} earlier")
        self.on_ack(server_last_received)
        return self.pending_after(server_last_received)

    # --- receiving -----------------------------------------------------------------------------------------------

    def on_data(self, seq: int) -> str:
        """DELIVER or DUPLICATE for an incoming seq; a gap or seq 0 is a PROTOCOL_ERROR."""
        if seq == 0:
            raise ProtocolError("DATA seq 0 in a session (numbering starts at 1)")
        if seq <= self.last_received_seq:
            return DUPLICATE
        if seq != self.last_received_seq + 1:
            raise ProtocolError(f"DATA seq {seq} leaves a gap after {self.last_received_seq}")
        self.last_received_seq = seq
        return DELIVER

    def delivered(self, size: int, now: float) -> bool:
        """Counts a delivered message for acking; True when an ack is due at once."""
        self._unacked_count += 1
        self._unacked_bytes += size
        if self.ack_due_at is None:
            self.ack_due_at = now + self.ack_policy.delay
        return self._unacked_count >= self.ack_policy.messages or self._unacked_bytes >= self.ack_policy.bytes

    @property
    def ack_pending(self) -> bool:
        return self._unacked_count > 0

    def take_ack(self) -> Optional[int]:
        """The ack value to send now (clearing what is pending), or None when nothing is waiting."""
        if not self._unacked_count:
            return None
        self._unacked_count = 0
        self._unacked_bytes = 0
        self.ack_due_at = None
        return self.last_received_seq

    def forget_pending_ack(self) -> None:
        """A new connection announces lastReceivedSeq in HELLO, which acknowledges everything received."""
        self._unacked_count = 0
        self._unacked_bytes = 0
        self.ack_due_at = None
