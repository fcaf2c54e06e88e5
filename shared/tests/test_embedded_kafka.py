"""The embedded broker as ``make run``, the tests and ``make bench`` start it."""

from __future__ import annotations

from pathlib import Path

import pytest

from lapor_shared.infra import EmbeddedKafka

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").is_file(), reason="reads the broker's /proc")


def runtime_threads(broker: EmbeddedKafka) -> str | None:
    """The broker process's ``TOKIO_WORKER_THREADS`` (its runtime's worker threads), as it was started."""
    assert broker.process is not None
    environ = Path(f"/proc/{broker.process.pid}/environ").read_bytes().split(b"\0")
    found = [entry.split(b"=", 1)[1].decode() for entry in environ if entry.startswith(b"TOKIO_WORKER_THREADS=")]
    return found[0] if found else None


def test_the_embedded_broker_runs_its_work_on_one_thread(monkeypatch):
    monkeypatch.delenv("TOKIO_WORKER_THREADS", raising=False)
    broker = EmbeddedKafka().start()
    try:
        assert runtime_threads(broker) == "1"
    finally:
        broker.stop()


def test_a_thread_count_set_in_the_environment_is_kept(monkeypatch):
    monkeypatch.setenv("TOKIO_WORKER_THREADS", "2")
    broker = EmbeddedKafka().start()
    try:
        assert runtime_threads(broker) == "2"
    finally:
        broker.stop()
