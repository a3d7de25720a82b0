"""A free loopback port for a server a test starts (the real server command, Redis, a proxy, a cluster)."""

import socket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
