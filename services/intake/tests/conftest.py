"""Intake on the in-memory broker with a real PostgreSQL (the shared ``ServiceHarness``): submit, then read
what it published."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from lapor_intake.app import build
from lapor_intake.settings import IntakeSettings
from lapor_shared.consumer import Consumer
from lapor_shared.events import Envelope
from lapor_shared.runtime import Runtime
from lapor_shared.testing.factories import complaint_submitted, submitted_envelope
from lapor_shared.testing.service import ServiceHarness
from lapor_shared.topics import (
    COMPLAINTS,
    CONTACTS,
    DEAD_LETTER,
    SUBMISSION_RESULTS,
    SUBMISSIONS,
    jurisdiction_topic,
)

WATCHED = (SUBMISSION_RESULTS.name, COMPLAINTS.name, CONTACTS.name, DEAD_LETTER.name, jurisdiction_topic("18.71"))
"""Everything intake writes to (and the sample region's jurisdiction topic, which it must never write to)."""


class IntakeHarness(ServiceHarness):
    """Intake with everything it writes to recorded (``WATCHED``)."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime, watch=WATCHED)

    async def submit(self, *envelopes: Envelope[Any], topic: str = SUBMISSIONS.name) -> None:
        for envelope in envelopes:
            await self.publish(envelope, topic=topic)

    async def publish_raw(self, body: bytes, *, topic: str = SUBMISSIONS.name, key: bytes | None = None) -> None:
        await super().publish_raw(body, topic=topic, key=key)

    def results_for(self, channel_message_id: str) -> list[dict[str, Any]]:
        return [m for m in self.messages(SUBMISSION_RESULTS.name)
                if m["payload"]["channel_message_id"] == channel_message_id]

    def accepted_for(self, channel_message_id: str) -> list[dict[str, Any]]:
        """``complaint.accepted`` of this channel message, as the platform reads it on lapor.complaints."""
        return [m for m in self.messages(COMPLAINTS.name, "complaint.accepted")
                if m["payload"]["channel_message_id"] == channel_message_id]

    async def answered(self, *envelopes: Envelope[Any], timeout: float = 15.0) -> list[dict[str, Any]]:
        """What became of each submission, waiting for each one: its ``complaint.accepted`` on
        lapor.complaints (once the channel heard ``submission.accepted``), or the channel's
        ``complaint.rejected``."""
        ids = [e.payload.channel_message_id for e in envelopes]

        def latest() -> dict[str, dict[str, Any]]:
            found = {}
            for m in self.messages(SUBMISSION_RESULTS.name):
                message_id = m["payload"]["channel_message_id"]
                if m["event_type"] != "submission.accepted":
                    found[message_id] = m
                elif accepted := self.accepted_for(message_id):
                    found[message_id] = accepted[-1]
            return found

        await self.until(lambda: all(i in latest() for i in ids), timeout=timeout)
        found = latest()
        return [found[i] for i in ids]

    async def settle(self, *, timeout: float = 15.0) -> None:
        """Wait until everything submitted so far has been answered and published: a sentinel (an
        empty submission, rejected) is handled after them, and the relay publishes in commit order."""
        sentinel = submitted_envelope(complaint_submitted(title="", reporter=None))
        await self.submit(sentinel)
        await self.answered(sentinel, timeout=timeout)
        marker = sentinel.payload.channel_message_id.encode()
        self.published[:] = [p for p in self.published if p.topic != SUBMISSION_RESULTS.name or marker not in p.body]

    def consumer(self, name: str = "intake.submissions") -> Consumer:
        return super().consumer(name)


@pytest.fixture
def intake(database_url: str) -> Callable[..., AbstractAsyncContextManager[IntakeHarness]]:
    """``async with intake(reporter_rate_limit=2) as h:`` intake with those settings, on the in-memory broker."""

    def start(**overrides: Any) -> IntakeHarness:
        return IntakeHarness(build(IntakeSettings(database_url=database_url, **overrides)).runtime)

    return start
