"""Ports for the servers the tests and the tools start (``free_port``)."""

from __future__ import annotations

import socket

from lapor_shared.infra import free_port
from lapor_shared.infra.embedded import ephemeral_ports


def test_a_free_port_is_outside_the_range_of_outgoing_connections():
    low, high = ephemeral_ports()
    ports = [free_port() for _ in range(50)]
    assert all(port < low or port > high for port in ports)


def test_a_free_port_can_be_bound_and_is_never_handed_out_twice():
    ports = [free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)
    with socket.socket() as s:
        s.bind(("127.0.0.1", ports[-1]))


def test_a_port_someone_listens_on_is_not_handed_out(monkeypatch):
    import lapor_shared.infra.embedded as embedded

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port()))
        taken.listen()
        busy = taken.getsockname()[1]
        embedded._handed_out.discard(busy)
        monkeypatch.setattr(embedded, "_LOWEST_PORT", busy)  # the only port below the range is the busy one
        monkeypatch.setattr(embedded, "ephemeral_ports", lambda: (busy + 1, 60999))
        assert free_port() != busy
