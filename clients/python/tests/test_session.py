from __future__ import annotations

import unittest

from tether_client.errors import ProtocolError
from tether_client.session import DELIVER, DUPLICATE, AckPolicy, ClientSession, SessionGapError

SID = bytes(range(1, 17))


class SequencingTests(unittest.TestCase):
    def test_outbound_messages_are_numbered_from_one_and_kept_until_acknowledged(self) -> None:
        session = ClientSession(SID)
        self.assertEqual([1, 2, 3], [session.add_outbound(p) for p in (b"a", b"bb", b"ccc")])
        self.assertEqual(3, session.unacknowledged_count)
        self.assertEqual(6, session.replay_bytes)
        self.assertEqual(2, session.on_ack(2))
        self.assertEqual([b"ccc"], session.unacknowledged())
        self.assertEqual(3, session.replay_bytes)

    def test_an_old_ack_frees_nothing_and_an_ack_above_the_highest_seq_is_a_protocol_error(self) -> None:
        session = ClientSession(SID)
        for payload in (b"a", b"b"):
            session.add_outbound(payload)
        session.on_ack(2)
        self.assertEqual(0, session.on_ack(1))
        with self.assertRaises(ProtocolError):
            session.on_ack(3)

    def test_inbound_in_order_is_delivered_duplicates_dropped_gaps_and_zero_refused(self) -> None:
        session = ClientSession(SID)
        self.assertEqual(DELIVER, session.on_data(1))
        self.assertEqual(DELIVER, session.on_data(2))
        self.assertEqual(DUPLICATE, session.on_data(1))
        self.assertEqual(DUPLICATE, session.on_data(2))
        with self.assertRaises(ProtocolError):
            session.on_data(4)
        with self.assertRaises(ProtocolError):
            session.on_data(0)
        self.assertEqual(2, session.last_received_seq)

    def test_the_replay_bound_admits_a_message_into_an_empty_buffer_whatever_its_size(self) -> None:
        session = ClientSession(SID)
        self.assertTrue(session.has_room(100, 10))
        session.add_outbound(b"x" * 8)
        self.assertTrue(session.has_room(2, 10))
        self.assertFalse(session.has_room(3, 10))


class AckTimingTests(unittest.TestCase):
    def test_an_ack_is_due_at_once_after_n_messages(self) -> None:
        session = ClientSession(SID, AckPolicy(messages=3, bytes=1 << 20, delay=0.2))
        due = []
        for seq in range(1, 4):
            session.on_data(seq)
            due.append(session.delivered(1, now=10.0))
        self.assertEqual([False, False, True], due)
        self.assertEqual(3, session.take_ack())
        self.assertIsNone(session.take_ack())

    def test_an_ack_is_due_at_once_after_enough_bytes(self) -> None:
        session = ClientSession(SID, AckPolicy(messages=32, bytes=100, delay=0.2))
        session.on_data(1)
        self.assertFalse(session.delivered(60, now=0.0))
        session.on_data(2)
        self.assertTrue(session.delivered(40, now=0.0))

    def test_the_delay_timer_starts_at_the_first_unacknowledged_message(self) -> None:
        session = ClientSession(SID, AckPolicy(messages=32, bytes=1 << 20, delay=0.2))
        session.on_data(1)
        session.delivered(1, now=5.0)
        session.on_data(2)
        session.delivered(1, now=5.15)
        self.assertAlmostEqual(5.2, session.ack_due_at or 0)
        self.assertEqual(2, session.take_ack())
        self.assertIsNone(session.ack_due_at)


class ResumeTests(unittest.TestCase):
    def test_resume_frees_what_the_server_has_and_returns_the_rest_in_order(self) -> None:
        session = ClientSession(SID)
        for payload in (b"1", b"2", b"3", b"4"):
            session.add_outbound(payload)
        session.on_ack(1)
        self.assertEqual([(3, b"3"), (4, b"4")], session.resume(2))
        self.assertEqual(2, session.unacknowledged_count)
        # New messages continue the numbering after the highest seq.
        self.assertEqual(5, session.add_outbound(b"5"))

    def test_a_server_claiming_more_than_was_sent_is_a_protocol_error(self) -> None:
        session = ClientSession(SID)
        session.add_outbound(b"1")
        with self.assertRaises(ProtocolError):
            session.resume(2)

    def test_a_server_lacking_messages_already_freed_is_a_gap(self) -> None:
        session = ClientSession(SID)
        for payload in (b"1", b"2", b"3"):
            session.add_outbound(payload)
        session.on_ack(2)
        with self.assertRaises(SessionGapError):
            session.resume(1)


if __name__ == "__main__":
    unittest.main()
