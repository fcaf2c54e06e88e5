"""Intake on the in-memory broker with a real PostgreSQL: submit, then read what it published."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from faststream.kafka import KafkaBroker

from lapor_intake.app import build_runtime
from lapor_intake.settings import IntakeSettings
from lapor_shared.consumer import Consumer
from lapor_shared.events import Envelope, encode
from lapor_shared.runtime import Runtime
from lapor_shared.testing.factories import complaint_submitted, submitted_envelope
from lapor_shared.testing.service import in_memory
from lapor_shared.topics import (
    COMPLAINTS,
    CONTACTS,
    DEAD_LETTER,
    SUBMISSION_RESULTS,
    SUBMISSIONS,
    jurisdiction_topic,
    key_of,
)

WATCHED = (SUBMISSION_RESULTS.name, COMPLAINTS.name, CONTACTS.name, DEAD_LETTER.name, jurisdiction_topic("18.71"))
"""Everything intake writes to (and the sample region's jurisdiction topic, which it must never write to)."""


@dataclass
class Harness:
    runtime: Runtime
    broker: KafkaBroker
    database_url: str
    raw: dict[str, list[bytes]] = field(default_factory=lambda: defaultdict(list))
    _parsed: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    async def submit(self, *envelopes: Envelope[Any], topic: str = SUBMISSIONS.name) -> None:
        for envelope in envelopes:
            await self.broker.publish(encode(envelope), topic=topic, key=key_of(envelope, topic))

    async def publish_raw(self, body: bytes, topic: str = SUBMISSIONS.name) -> None:
        await self.broker.publish(body, topic=topic)

    def messages(self, topic: str, event_type: str | None = None) -> list[dict[str, Any]]:
        """The JSON messages seen on ``topic`` (parsed once each), optionally of one event type."""
        parsed, raw = self._parsed[topic], self.raw[topic]
        for body in raw[len(parsed):]:
            try:
                data = json.loads(body)
            except ValueError:
                data = {}
            parsed.append(data if isinstance(data, dict) else {})
        return [m for m in parsed if m and (event_type is None or m.get("event_type") == event_type)]

    def results_for(self, channel_message_id: str) -> list[dict[str, Any]]:
        return [m for m in self.messages(SUBMISSION_RESULTS.name)
                if m["payload"]["channel_message_id"] == channel_message_id]

    async def until(self, predicate: Callable[[], Any], timeout: float = 15.0) -> None:
        """Wake the relay and wait until ``predicate()`` holds (fails the test when it never does)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            if self.runtime.relay is not None:
                self.runtime.relay.backlog_hint()
            await asyncio.sleep(0.02)

    async def answered(self, *envelopes: Envelope[Any], timeout: float = 15.0) -> list[dict[str, Any]]:
        """The results (accepted or rejected) of the given submissions, waiting for each one."""
        ids = [e.payload.channel_message_id for e in envelopes]

        def latest() -> dict[str, dict[str, Any]]:
            return {m["payload"]["channel_message_id"]: m for m in self.messages(SUBMISSION_RESULTS.name)}

        await self.until(lambda: all(i in latest() for i in ids), timeout)
        found = latest()
        return [found[i] for i in ids]

    async def settle(self, timeout: float = 15.0) -> None:
        """Wait until everything submitted so far has been answered and published: a sentinel (an
        empty submission, rejected) is handled after them, and the relay publishes in commit order."""
        sentinel = submitted_envelope(complaint_submitted(title="", reporter=None))
        await self.submit(sentinel)
        await self.answered(sentinel, timeout=timeout)
        self.raw[SUBMISSION_RESULTS.name][:] = [
            b for b in self.raw[SUBMISSION_RESULTS.name] if sentinel.payload.channel_message_id.encode() not in b
        ]
        self._parsed[SUBMISSION_RESULTS.name].clear()

    def consumer(self, name: str = "intake.submissions") -> Consumer:
        return next(c for c in self.runtime.consumers if c.name == name)

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        return await self.runtime.pool.fetch(query, *args)


def _collector(sink: list[bytes]) -> Callable[[bytes], Any]:
    async def collect(body: bytes) -> None:
        sink.append(body)

    return collect


@pytest.fixture
def intake(database_url: str) -> Callable[..., AbstractAsyncContextManager[Harness]]:
    """``async with intake(reporter_rate_limit=2) as h:`` intake with those settings, on the in-memory broker."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Harness]:
        runtime = build_runtime(IntakeSettings(database_url=database_url, **overrides))
        raw: dict[str, list[bytes]] = defaultdict(list)
        for topic in WATCHED:
            runtime.broker.subscriber(topic, group_id=f"test-{topic}")(_collector(raw[topic]))
        async with in_memory(runtime) as broker:
            yield Harness(runtime, broker, database_url, raw)

    return start
