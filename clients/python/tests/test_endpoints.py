from __future__ import annotations

import unittest

from tether_client.durations import parse_duration
from tether_client.endpoints import FAILOVER, ROUND_ROBIN, Endpoint, EndpointSelector
from tether_client.example import UsageError, parse_args


class EndpointTests(unittest.TestCase):
    def test_parses_ipv4_ipv6_and_names(self) -> None:
        self.assertEqual(Endpoint("127.0.0.1", 7447), Endpoint.parse("127.0.0.1:7447"))
        self.assertEqual(Endpoint("::1", 7447), Endpoint.parse("[::1]:7447"))
        self.assertEqual(Endpoint("localhost", 1), Endpoint.parse("localhost:1"))
        self.assertEqual("[::1]:7447", str(Endpoint.parse("[::1]:7447")))

    def test_refuses_what_is_not_host_port(self) -> None:
        for text in ("127.0.0.1", "::1:7447", "host:0", "host:65536", ":7447", "host:x", "[::1]7447"):
            with self.subTest(text):
                with self.assertRaises(ValueError):
                    Endpoint.parse(text)


class SelectorTests(unittest.TestCase):
    A, B, C = Endpoint("a", 1), Endpoint("b", 1), Endpoint("c", 1)

    def test_failover_moves_on_after_failures_and_starts_over_after_a_connection(self) -> None:
        selector = EndpointSelector([self.A, self.B, self.C], FAILOVER)
        self.assertEqual([self.A, self.B, self.C, self.A], [selector.next() for _ in range(4)])
        selector.connection_opened()
        self.assertEqual(self.A, selector.next())

    def test_round_robin_rotates_whatever_happens(self) -> None:
        selector = EndpointSelector([self.A, self.B, self.C], ROUND_ROBIN)
        self.assertEqual(self.A, selector.next())
        selector.connection_opened()
        self.assertEqual([self.B, self.C, self.A], [selector.next() for _ in range(3)])

    def test_alternates_are_tried_once_each_first_and_forgotten_on_connection(self) -> None:
        selector = EndpointSelector([self.A, self.B], FAILOVER)
        selector.set_alternates(["x:2", "not an endpoint", "[::1]:3"])
        self.assertEqual([Endpoint("x", 2), Endpoint("::1", 3), self.A, self.B], [selector.next() for _ in range(4)])
        selector.set_alternates(["y:9"])
        selector.connection_opened()
        self.assertEqual(self.A, selector.next())


class CommandLineTests(unittest.TestCase):
    def test_durations(self) -> None:
        self.assertEqual([0.25, 30.0, 1.5, 120.0, 3600.0, 5.0],
                         [parse_duration(t) for t in ("250ms", "30s", "1.5s", "2m", "1h", "5")])
        with self.assertRaises(ValueError):
            parse_duration("5 parsecs")

    def test_options_map_to_the_client_options(self) -> None:
        settings = parse_args(["--json", "--client-id", "me", "--token=t", "--heartbeat", "2s", "--timeout", "5s",
                               "--no-session", "--max-attempts", "3", "--backoff-max", "100ms", "--stable-after", "1m",
                               "--connect-timeout", "3s", "--endpoint-selection", "round-robin", "--eof-delay", "1s",
                               "--close-timeout", "0", "127.0.0.1:1", "[::1]:2"])
        options = settings.options
        self.assertEqual([Endpoint("127.0.0.1", 1), Endpoint("::1", 2)], options.endpoints)
        self.assertEqual(("me", b"t", 2.0, 5.0), (options.client_id, options.token, options.heartbeat_interval,
                                                   options.heartbeat_timeout))
        self.assertFalse(options.sessions.enabled)
        self.assertEqual((3, 0.1, 0.1, 60.0), (options.reconnect.max_attempts, options.reconnect.base_delay,
                                                options.reconnect.max_delay, options.reconnect.stable_after))
        self.assertEqual((3.0, ROUND_ROBIN, 1.0, 0.0), (options.connect_timeout, options.endpoint_selection,
                                                        settings.eof_delay, settings.close_timeout))
        self.assertIsNone(options.tls)

    def test_bad_command_lines_are_one_clear_error(self) -> None:
        bad: "list[list[str]]" = [
            ["--frobnicate", "h:1"], [], ["h"], ["--max-attempts", "0", "h:1"], ["--heartbeat", "x", "h:1"],
            ["--endpoint-selection", "random", "h:1"], ["--ca", "f", "--insecure", "h:1"], ["h:1", "--token"]]
        for argv in bad:
            with self.subTest(argv):
                with self.assertRaises(UsageError):
                    parse_args(argv)


if __name__ == "__main__":
    unittest.main()
