"""The client against a scripted server: handshake, sessions, heartbeats, closes, GOAWAY, errors."""

from __future__ import annotations

import asyncio
import time
import unittest
from typing import List

from tether_client import (ClientClosedError, Closed, ConnectError, Connected, Disconnected, MessageTooLargeError,
                           Reconnecting, Resumed, RoundTripTime, SessionLost, TetherClient, TetherClientOptions, frames)
from tether_client.events import Event

from .fakeserver import SESSION_ID, FakeServer, Peer, idle, kinds, serve_pings, wait_for_event

OTHER_SESSION = bytes(range(0x30, 0x40))


def options(*endpoints: str, session: bool = True) -> TetherClientOptions:
    result = TetherClientOptions(endpoints=list(endpoints), client_id="tester", token=b"secret")
    result.sessions.enabled = session
    result.reconnect.base_delay = 0.01
    result.reconnect.max_delay = 0.05
    result.close_linger = 0.5
    return result


class ClientTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        self.events: List[Event] = []

    def client(self, opts: TetherClientOptions) -> TetherClient:
        return TetherClient(opts, on_event=self.events.append)

    async def test_hello_carries_identity_and_messages_flow_without_a_session(self) -> None:
        hellos: List[frames.Hello] = []

        async def echo(peer: Peer) -> None:
            hellos.append(await peer.handshake())
            frame = await peer.read_until(frames.Data)
            assert isinstance(frame, frames.Data)
            peer.send(frames.Data(frame.payload))
            await serve_pings(peer)

        async with FakeServer(echo) as server:
            async with self.client(options(server.endpoint, session=False)) as client:
                await client.send("hello")
                self.assertEqual(b"hello", await asyncio.wait_for(client.receive(), 5))
        hello = hellos[0]
        self.assertEqual(("tester", b"secret", False, False), (hello.client_id, hello.token, hello.session, hello.resume))
        self.assertEqual(["Connected", "Closed"], kinds(self.events))
        self.assertEqual(Closed("closed", None, 0), self.events[-1])

    async def test_a_session_resumes_resends_what_the_server_lacks_and_drops_duplicates(self) -> None:
        second_hello: List[frames.Hello] = []
        got: List[frames.Data] = []

        async def first(peer: Peer) -> None:
            await peer.handshake(session=True)
            for _ in range(2):
                frame = await peer.read_until(frames.Data)
                assert isinstance(frame, frames.Data)
                got.append(frame)
            peer.send(frames.Data(b"x", seq=1))
            await peer.read_until(frames.Ack)  # the client has x
            peer.writer.transport.abort()  # a reset: the client's seq 2 is "lost" with the connection

        async def second(peer: Peer) -> None:
            second_hello.append(await peer.handshake(session=True, resumed=True, last_received=1))
            frame = await peer.read_until(frames.Data)
            assert isinstance(frame, frames.Data)
            got.append(frame)
            peer.send(frames.Data(b"x", seq=1))  # a duplicate: dropped
            peer.send(frames.Data(b"y", seq=2, ack=2))
            await serve_pings(peer)

        async with FakeServer(first, second) as server:
            async with self.client(options(server.endpoint)) as client:
                await client.send(b"one")
                await client.send(b"two")
                self.assertEqual(b"x", await asyncio.wait_for(client.receive(), 5))
                self.assertEqual(b"y", await asyncio.wait_for(client.receive(), 5))
                self.assertEqual(0, client.unacknowledged)
        hello = second_hello[0]
        self.assertEqual((True, True, SESSION_ID, 1), (hello.session, hello.resume, hello.session_id, hello.last_received_seq))
        self.assertEqual([(1, b"one"), (2, b"two"), (2, b"two")], [(f.seq, f.payload) for f in got])
        self.assertIn(Resumed(SESSION_ID.hex(), 1, 1), self.events)
        self.assertEqual(["Connected", "Disconnected", "Reconnecting", "Connected", "Resumed", "Closed"], kinds(self.events))

    async def test_a_silent_server_is_declared_dead_with_close_1006_and_the_client_reconnects(self) -> None:
        seen: List[frames.Frame] = []

        async def silent(peer: Peer) -> None:
            await peer.handshake(interval_ms=100, timeout_ms=300)
            while True:
                frame = await peer.read(timeout=5)
                seen.append(frame)
                if isinstance(frame, frames.Close):
                    return

        async with FakeServer(silent, idle) as server:
            async with self.client(options(server.endpoint)) as client:
                disconnected = await wait_for_event(self.events, Disconnected)
                await wait_for_event(self.events, Reconnecting)
                while sum(isinstance(e, Connected) for e in self.events) < 2:
                    await asyncio.sleep(0.01)
                self.assertTrue(client.connected)
        self.assertEqual(Disconnected("heartbeat-timeout", 1006, disconnected.description), disconnected)  # type: ignore[attr-defined]
        self.assertTrue(any(isinstance(f, frames.Ping) for f in seen))
        self.assertEqual(1006, seen[-1].code)  # type: ignore[union-attr]

    async def test_pongs_to_our_pings_report_the_round_trip_time(self) -> None:
        async def answering(peer: Peer) -> None:
            await peer.handshake(interval_ms=50, timeout_ms=5000)
            await serve_pings(peer)

        async with FakeServer(answering) as server:
            async with self.client(options(server.endpoint)):
                rtt = await wait_for_event(self.events, RoundTripTime)
        self.assertGreaterEqual(rtt.rtt, 0)  # type: ignore[attr-defined]

    async def test_the_client_answers_pings_with_the_same_value(self) -> None:
        pongs: List[frames.Frame] = []

        async def pinging(peer: Peer) -> None:
            await peer.handshake()
            peer.send(frames.Ping(0xFFFFFFFFFFFFFFFF))
            pongs.append(await peer.read_until(frames.Pong))
            await serve_pings(peer)

        async with FakeServer(pinging) as server:
            async with self.client(options(server.endpoint)):
                while not pongs:
                    await asyncio.sleep(0.01)
        self.assertEqual([frames.Pong(0xFFFFFFFFFFFFFFFF)], pongs)

    async def test_a_malformed_close_gets_no_reply_and_counts_as_a_protocol_error(self) -> None:
        replies: List[bytes] = []

        async def malformed(peer: Peer) -> None:
            await peer.handshake()
            peer.send_raw(bytes.fromhex("08000000000d03ee0000000000116865617274"))
            replies.append(await peer.read_eof())

        async with FakeServer(malformed, idle) as server:
            async with self.client(options(server.endpoint)):
                await wait_for_event(self.events, Reconnecting)
                while not replies:
                    await asyncio.sleep(0.01)
        self.assertEqual([b""], replies)
        disconnected = next(e for e in self.events if isinstance(e, Disconnected))
        self.assertEqual(("protocol-error", 1002), (disconnected.reason, disconnected.code))

    async def _violation(self, raw: bytes) -> frames.Frame:
        closes: List[frames.Frame] = []

        async def violating(peer: Peer) -> None:
            await peer.handshake()
            peer.send_raw(raw)
            closes.append(await peer.read_until(frames.Close))

        async with FakeServer(violating, idle) as server:
            async with self.client(options(server.endpoint)):
                await wait_for_event(self.events, Reconnecting)
                while not closes:
                    await asyncio.sleep(0.01)
        return closes[0]

    async def test_a_reserved_frame_type_is_answered_with_close_1002(self) -> None:
        self.assertEqual(1002, (await self._violation(bytes.fromhex("0900000000 00".replace(" ", "")))).code)  # type: ignore[union-attr]

    async def test_a_frame_above_the_limit_is_answered_with_1004_before_its_body(self) -> None:
        self.assertEqual(1004, (await self._violation(bytes.fromhex("0300ffffffff"))).code)  # type: ignore[union-attr]

    async def test_seq_zero_in_a_session_is_a_protocol_error(self) -> None:
        closes: List[frames.Frame] = []

        async def zero(peer: Peer) -> None:
            await peer.handshake(session=True)
            peer.send(frames.Data(b"z", seq=0))
            closes.append(await peer.read_until(frames.Close))

        async with FakeServer(zero, idle) as server:
            async with self.client(options(server.endpoint)):
                await wait_for_event(self.events, Reconnecting)
                while not closes:
                    await asyncio.sleep(0.01)
        self.assertEqual(1002, closes[0].code)  # type: ignore[union-attr]

    async def test_goaway_flushes_the_ack_closes_with_1000_and_goes_to_the_alternate(self) -> None:
        sequence: List[frames.Frame] = []
        times: List[float] = []

        async def arriving(peer: Peer) -> None:
            times.append(time.monotonic())
            await idle(peer)

        async with FakeServer(arriving) as alternate:

            async def draining(peer: Peer) -> None:
                await peer.handshake(session=True)
                peer.send(frames.Data(b"m", seq=1))
                times.append(time.monotonic())
                peer.send(frames.GoAway(100, 30000, "restart", (frames.Extension(1, alternate.endpoint.encode()),)))
                while True:
                    frame = await peer.read()
                    sequence.append(frame)
                    if isinstance(frame, frames.Close):
                        peer.close()
                        return

            async with FakeServer(draining) as server:
                async with self.client(options(server.endpoint)):
                    reconnecting = await wait_for_event(self.events, Reconnecting)
                    await asyncio.sleep(0)
                    while alternate.connections == 0:
                        await asyncio.sleep(0.01)
        self.assertEqual([frames.Ack(1), frames.Close(1000, 0, "going away as the server asked")], sequence)
        self.assertEqual(alternate.endpoint, reconnecting.endpoint)  # type: ignore[attr-defined]
        self.assertGreaterEqual(times[1] - times[0], 0.1)
        disconnected = next(e for e in self.events if isinstance(e, Disconnected))
        self.assertEqual(("going-away", "restart"), (disconnected.reason, disconnected.description))

    async def test_close_normal_from_the_server_ends_the_client_for_good(self) -> None:
        async def closing(peer: Peer) -> None:
            await peer.handshake()
            peer.send(frames.Close(1000, 0, "bye"))
            await peer.read_eof()

        async with FakeServer(closing) as server:
            client = self.client(options(server.endpoint))
            await client.connect()
            await wait_for_event(self.events, Closed)
            with self.assertRaises(ClientClosedError):
                await client.send(b"late")
            with self.assertRaises(ClientClosedError):
                await client.receive()
        self.assertEqual(Disconnected("closed-by-peer", 1000, "bye"), self.events[1])
        self.assertEqual(Closed("closed-by-peer", "bye", 0), self.events[2])
        self.assertEqual(1, server.connections)

    async def test_a_reset_session_reports_its_unacknowledged_messages_and_does_not_resend_them(self) -> None:
        after_reset: List[frames.Frame] = []

        async def first(peer: Peer) -> None:
            await peer.handshake(session=True)
            await peer.read_until(frames.Data)
            peer.writer.transport.abort()

        async def second(peer: Peer) -> None:
            await peer.handshake(session=True, session_id=OTHER_SESSION, reset_reason=2, lost=7)
            after_reset.append(await peer.read_until(frames.Data))
            await serve_pings(peer)

        async with FakeServer(first, second) as server:
            async with self.client(options(server.endpoint)) as client:
                await client.send(b"lost")
                lost = await wait_for_event(self.events, SessionLost)
                await client.send(b"new")
                while not after_reset:
                    await asyncio.sleep(0.01)
                self.assertEqual(OTHER_SESSION.hex(), client.session_id)
        self.assertEqual(SessionLost(SESSION_ID.hex(), "expired", 1, 7, lost.description, [b"lost"]), lost)  # type: ignore[attr-defined]
        self.assertEqual([frames.Data(b"new", seq=1)], after_reset)

    async def test_a_resumed_welcome_with_another_session_id_is_refused_and_the_session_kept(self) -> None:
        hellos: List[frames.Hello] = []
        closes: List[frames.Frame] = []

        async def first(peer: Peer) -> None:
            await peer.handshake(session=True)
            peer.writer.transport.abort()

        async def wrong(peer: Peer) -> None:
            hellos.append(await peer.handshake(session=True, resumed=True, session_id=OTHER_SESSION))
            closes.append(await peer.read_until(frames.Close))

        async def right(peer: Peer) -> None:
            hellos.append(await peer.handshake(session=True, resumed=True))
            await serve_pings(peer)

        async with FakeServer(first, wrong, right) as server:
            async with self.client(options(server.endpoint)):
                await wait_for_event(self.events, Resumed)
                while not closes:
                    await asyncio.sleep(0.01)
        self.assertEqual(1002, closes[0].code)  # type: ignore[union-attr]
        self.assertEqual([SESSION_ID, SESSION_ID], [h.session_id for h in hellos])
        self.assertTrue(all(h.resume for h in hellos))

    async def test_the_largest_session_message_is_the_peer_maximum_minus_8(self) -> None:
        received: List[frames.Frame] = []

        async def small(peer: Peer) -> None:
            await peer.handshake(session=True, max_frame_size=1024)
            received.append(await peer.read_until(frames.Data))
            await serve_pings(peer)

        async with FakeServer(small) as server:
            async with self.client(options(server.endpoint)) as client:
                with self.assertRaises(MessageTooLargeError):
                    await client.send(b"x" * 1017)
                await client.send(b"x" * 1016)
                while not received:
                    await asyncio.sleep(0.01)
                await client.close(0)
        self.assertEqual(1016, len(received[0].payload))  # type: ignore[union-attr]

    async def test_close_waits_for_acks_and_reports_what_stayed_unacknowledged(self) -> None:
        async def acking(peer: Peer) -> None:
            await peer.handshake(session=True)
            await peer.read_until(frames.Data)
            await asyncio.sleep(0.2)
            peer.send(frames.Ack(1))
            await serve_pings(peer)

        async def never_acking(peer: Peer) -> None:
            await peer.handshake(session=True)
            await serve_pings(peer)

        async with FakeServer(acking) as server:
            client = self.client(options(server.endpoint))
            await client.connect()
            await client.send(b"a")
            self.assertEqual(0, await client.close(5))
        async with FakeServer(never_acking) as server:
            client = self.client(options(server.endpoint))
            await client.connect()
            await client.send(b"a")
            await client.send(b"b")
            self.assertEqual(2, await client.close(0.2))
        self.assertEqual(Closed("closed", None, 2), self.events[-1])

    async def test_acks_ride_on_outgoing_data_and_go_alone_after_n_messages(self) -> None:
        seen: List[frames.Frame] = []

        async def talking(peer: Peer) -> None:
            await peer.handshake(session=True)
            peer.send(frames.Data(b"q", seq=1))
            seen.append(await peer.read_until(frames.Data))
            for seq in range(2, 5):
                peer.send(frames.Data(b"n", seq=seq))
            seen.append(await peer.read())
            await serve_pings(peer)

        async with FakeServer(talking) as server:
            opts = options(server.endpoint)
            opts.sessions.ack_delay = 30.0
            opts.sessions.ack_after_messages = 3
            async with self.client(opts) as client:
                self.assertEqual(b"q", await asyncio.wait_for(client.receive(), 5))
                await client.send(b"answer")
                while len(seen) < 2:
                    await asyncio.sleep(0.01)
                await client.close(0)
        self.assertEqual([frames.Data(b"answer", seq=1, ack=1), frames.Ack(4)], seen)

    async def test_a_full_replay_buffer_makes_send_wait_for_an_ack(self) -> None:
        async def slow_acker(peer: Peer) -> None:
            await peer.handshake(session=True)
            await peer.read_until(frames.Data)
            await asyncio.sleep(0.3)
            peer.send(frames.Ack(1))
            await serve_pings(peer)

        async with FakeServer(slow_acker) as server:
            opts = options(server.endpoint)
            opts.sessions.max_unacknowledged_bytes = 10
            async with self.client(opts) as client:
                await client.send(b"x" * 8)
                started = time.monotonic()
                await asyncio.wait_for(client.send(b"y" * 8), 5)
                self.assertGreaterEqual(time.monotonic() - started, 0.25)
                self.assertEqual(1, await client.close(0))

    async def test_max_attempts_gives_up_with_the_last_error(self) -> None:
        async with FakeServer(idle) as server:
            endpoint = server.endpoint
        opts = options(endpoint)
        opts.reconnect.max_attempts = 3
        client = self.client(opts)
        with self.assertRaises(ConnectError) as caught:
            await asyncio.wait_for(client.connect(), 10)
        self.assertIn("gave up after 3 attempt(s)", str(caught.exception))
        self.assertEqual(["Reconnecting", "Reconnecting", "Closed"], kinds(self.events))
        self.assertEqual([1, 2], [e.attempt for e in self.events if isinstance(e, Reconnecting)])
        self.assertEqual("gave-up", self.events[-1].reason)  # type: ignore[union-attr]

    async def test_a_refused_handshake_that_cannot_heal_ends_the_client(self) -> None:
        async def refusing(peer: Peer) -> None:
            await peer.read()
            peer.send(frames.Close(1007, 0, "bad token"))
            await peer.read_eof()

        async with FakeServer(refusing) as server:
            client = self.client(options(server.endpoint))
            with self.assertRaises(ConnectError) as caught:
                await asyncio.wait_for(client.connect(), 10)
            self.assertEqual(1, server.connections)
        self.assertEqual(1007, caught.exception.code)
        self.assertEqual(Closed("handshake-rejected", "bad token", 0), self.events[-1])

    async def test_failover_tries_the_next_endpoint_after_a_failure(self) -> None:
        async with FakeServer(idle) as dead:
            dead_endpoint = dead.endpoint
        async with FakeServer(idle) as server:
            async with self.client(options(dead_endpoint, server.endpoint)):
                pass
        self.assertEqual(["Reconnecting", "Connected", "Closed"], kinds(self.events))
        self.assertEqual(server.endpoint, self.events[1].endpoint)  # type: ignore[union-attr]


if __name__ == "__main__":
    unittest.main()
