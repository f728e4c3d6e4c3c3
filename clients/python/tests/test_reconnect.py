"""Reconnect decisions against a scripted server: retry hints, alternates (D10), the gap path (D8), timeouts."""

from __future__ import annotations

import asyncio
import time
import unittest
from typing import List

from tether_client import Connected, Reconnecting, SessionLost, TetherClient, TetherClientOptions, frames
from tether_client.endpoints import ROUND_ROBIN
from tether_client.events import Event

from .fakeserver import FakeServer, Peer, idle, serve_pings, wait_for_event


def options(*endpoints: str) -> TetherClientOptions:
    result = TetherClientOptions(endpoints=list(endpoints))
    result.reconnect.base_delay = 0.01
    result.reconnect.max_delay = 0.05
    result.close_linger = 0.5
    return result


class ReconnectTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        self.events: List[Event] = []

    async def test_close_retry_after_is_honoured_and_a_later_close_replaces_the_goaway_alternates(self) -> None:
        async with FakeServer(idle) as first_alternate, FakeServer(idle) as second_alternate:

            async def leaving(peer: Peer) -> None:
                await peer.handshake()
                peer.send(frames.GoAway(0, 30000, "", (frames.Extension(1, first_alternate.endpoint.encode()),)))
                peer.send(frames.Close(1001, 300, "bye", (frames.Extension(1, second_alternate.endpoint.encode()),)))
                await peer.read_eof()

            async with FakeServer(leaving) as server:
                async with TetherClient(options(server.endpoint), on_event=self.events.append):
                    left = time.monotonic()
                    while second_alternate.connections == 0:
                        await asyncio.sleep(0.01)
                    waited = time.monotonic() - left
            reconnecting = next(e for e in self.events if isinstance(e, Reconnecting))
            self.assertEqual(second_alternate.endpoint, reconnecting.endpoint)
            self.assertEqual(0, first_alternate.connections)
            self.assertGreaterEqual(waited, 0.29)

    async def test_alternates_are_tried_once_then_the_configured_list_resumes(self) -> None:
        async with FakeServer(idle) as dead:
            dead_endpoint = dead.endpoint

        async def leaving(peer: Peer) -> None:
            await peer.handshake()
            peer.send(frames.Close(1011, 0, "oops", (frames.Extension(1, dead_endpoint.encode()),
                                                     frames.Extension(1, b"not an endpoint"))))
            await peer.read_eof()

        async with FakeServer(leaving, idle) as server:
            async with TetherClient(options(server.endpoint), on_event=self.events.append):
                while sum(isinstance(e, Connected) for e in self.events) < 2:
                    await asyncio.sleep(0.01)
        endpoints = [e.endpoint for e in self.events if isinstance(e, Reconnecting)]
        self.assertEqual([dead_endpoint, server.endpoint], endpoints)

    async def test_a_server_lacking_acknowledged_messages_makes_a_new_session_through_backoff(self) -> None:
        hellos: List[frames.Hello] = []

        async def first(peer: Peer) -> None:
            await peer.handshake(session=True)
            for _ in range(2):
                await peer.read_until(frames.Data)
            peer.send(frames.Ack(2))
            await asyncio.sleep(0.1)
            peer.writer.transport.abort()

        async def forgetful(peer: Peer) -> None:
            hellos.append(await peer.handshake(session=True, resumed=True, last_received=1))
            close = await peer.read_until(frames.Close)
            assert isinstance(close, frames.Close) and close.code == 1000, close

        async def fresh(peer: Peer) -> None:
            hellos.append(await peer.handshake(session=True))
            await serve_pings(peer)

        async with FakeServer(first, forgetful, fresh) as server:
            async with TetherClient(options(server.endpoint), on_event=self.events.append) as client:
                await client.send(b"1")
                await client.send(b"2")
                lost = await wait_for_event(self.events, SessionLost)
                while len(hellos) < 2:
                    await asyncio.sleep(0.01)
        self.assertEqual("gap", lost.reason)  # type: ignore[attr-defined]
        self.assertEqual([True, False], [h.resume for h in hellos])
        attempts = [e.attempt for e in self.events if isinstance(e, Reconnecting)]
        self.assertEqual([1, 2], attempts)

    async def test_a_server_that_never_answers_hello_fails_the_attempt_after_the_connect_timeout(self) -> None:
        async def mute(peer: Peer) -> None:
            await peer.read_eof(timeout=30)

        async with FakeServer(mute, idle) as server:
            opts = options(server.endpoint)
            opts.connect_timeout = 0.3
            started = time.monotonic()
            async with TetherClient(opts, on_event=self.events.append):
                elapsed = time.monotonic() - started
        reconnecting = next(e for e in self.events if isinstance(e, Reconnecting))
        self.assertIn("within 0.3 s", reconnecting.last_error or "")
        self.assertGreaterEqual(elapsed, 0.3)

    async def test_round_robin_moves_to_the_next_endpoint_after_a_lost_connection(self) -> None:
        async def dropping(peer: Peer) -> None:
            await peer.handshake()
            peer.writer.transport.abort()

        async with FakeServer(dropping) as a, FakeServer(idle) as b:
            opts = options(a.endpoint, b.endpoint)
            opts.endpoint_selection = ROUND_ROBIN
            async with TetherClient(opts, on_event=self.events.append):
                while sum(isinstance(e, Connected) for e in self.events) < 2:
                    await asyncio.sleep(0.01)
        self.assertEqual([a.endpoint, b.endpoint], [e.endpoint for e in self.events if isinstance(e, Connected)])

    async def test_a_resume_answered_without_a_reason_or_without_a_session_is_a_lost_session(self) -> None:
        async def first(peer: Peer) -> None:
            await peer.handshake(session=True)
            peer.writer.transport.abort()

        async def reason_zero(peer: Peer) -> None:
            # SESSION, not RESUMED, reason 0, a meaningless lostCount: treated as UNKNOWN, count unknown.
            await peer.handshake(session=True, session_id=bytes(range(0x40, 0x50)), lost=5)
            peer.writer.transport.abort()

        async def no_session(peer: Peer) -> None:
            await peer.handshake(session=False)
            await serve_pings(peer)

        async with FakeServer(first, reason_zero, no_session) as server:
            async with TetherClient(options(server.endpoint), on_event=self.events.append) as client:
                while sum(isinstance(e, SessionLost) for e in self.events) < 2:
                    await asyncio.sleep(0.01)
                self.assertIsNone(client.session_id)
        lost = [e for e in self.events if isinstance(e, SessionLost)]
        self.assertEqual([("unknown", None), ("not-granted", None)], [(e.reason, e.server_reported_lost) for e in lost])
        self.assertEqual(bytes(range(0x40, 0x50)).hex(), lost[1].session_id)


if __name__ == "__main__":
    unittest.main()
