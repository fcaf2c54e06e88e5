"""A batch subscriber's poll: records at once, and after an empty poll a sleep only for what the poll did
not wait, so the loop neither naps on top of a full wait nor spins when ``getmany`` returns early."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from faststream.kafka.subscriber.usecase import BatchSubscriber

from lapor_shared import batch_poll
from lapor_shared.kafka import make_broker  # noqa: F401  (importing the factory installs the poll)

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]


@dataclass
class Subscriber:
    batch_timeout_ms: int = 40
    max_records: int | None = 200


@dataclass
class Consumer:
    """``getmany`` that waits ``wait_s`` (its whole timeout, or less: an early return) and gives ``records``."""

    wait_s: float
    records: dict[str, list[str]] = field(default_factory=dict)
    asked: list[dict[str, Any]] = field(default_factory=list)

    async def getmany(self, **options: Any) -> dict[str, list[str]]:
        self.asked.append(options)
        await asyncio.sleep(self.wait_s)
        return self.records


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(batch_poll.anyio, "sleep", sleep)
    return slept


async def test_records_are_handed_on_at_once_without_a_sleep(sleeps):
    consumer = Consumer(wait_s=0.0, records={"a": ["r1", "r2"], "b": ["r3"]})

    got = await batch_poll.get_msg(Subscriber(), consumer)

    assert got == ("r1", "r2", "r3") and sleeps == []
    assert consumer.asked == [{"timeout_ms": 40, "max_records": 200}]


async def test_an_empty_poll_that_waited_its_whole_timeout_is_not_followed_by_a_sleep(sleeps):
    got = await batch_poll.get_msg(Subscriber(batch_timeout_ms=20), Consumer(wait_s=0.03))

    assert got == () and sleeps == []


async def test_an_empty_poll_that_came_back_early_sleeps_the_rest_of_its_timeout(sleeps):
    got = await batch_poll.get_msg(Subscriber(batch_timeout_ms=1000), Consumer(wait_s=0.0))

    assert got == ()
    [slept] = sleeps
    assert 0.9 < slept <= 1.0


def test_every_batch_subscriber_of_the_process_polls_this_way():
    assert BatchSubscriber.get_msg.__qualname__.startswith("install.")
