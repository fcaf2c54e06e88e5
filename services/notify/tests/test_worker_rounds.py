"""When the running worker claims: at a new delivery's NOTIFY, and after a finished send only when the
slots were what held due deliveries back (an empty claim per finished send cost the worker most of its
statements under load)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from lapor_notify import claiming
from lapor_shared.testing.factories import accepted_envelope

from .harness import NotifyHarness, RecordingChannel

QUIET_POLL = {"autostart": True, "poll_interval_s": 30.0}
"""The worker runs by itself, and its poll never comes during a test: only wake-ups make it claim."""


@pytest.fixture
def claims(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of rows each claim of the worker took, in order."""
    taken: list[int] = []
    real = claiming.claim

    async def counted(*args: Any, **kwargs: Any) -> claiming.Claim:
        claim = await real(*args, **kwargs)
        taken.append(len(claim.rows))
        return claim

    monkeypatch.setattr(claiming, "claim", counted)
    return taken


async def until(condition: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_a_finished_send_does_not_make_the_worker_claim_again_when_its_claim_had_room(database_url, claims):
    inbox = RecordingChannel("inbox")
    async with NotifyHarness(database_url, channels={"inbox": inbox}, sending=QUIET_POLL) as h:
        await until(lambda: len(claims) >= 1)  # the round at start, with nothing due
        before = len(claims)
        await h.publish(accepted_envelope())
        await until(lambda: h.worker.sent == 1)
        await asyncio.sleep(0.3)  # a claim after the send would come now
        after = claims[before:]
    assert [m.template for m in inbox.sent] == ["complaint_accepted.reporter"]
    assert after == [1], "one claim, at the new delivery's NOTIFY; none after its send"


async def test_a_freed_slot_claims_at_once_what_the_full_slots_held_back(database_url, claims):
    inbox = RecordingChannel("inbox", delay_s=0.05)
    async with NotifyHarness(database_url, channels={"inbox": inbox}, sending={**QUIET_POLL, "concurrency": 1}) as h:
        await until(lambda: len(claims) >= 1)
        for _ in range(3):
            await h.publish(accepted_envelope())
        await until(lambda: h.worker.sent == 3, timeout_s=5.0)  # far sooner than the 30 s poll
    assert len(inbox.sent) == 3
    assert set(claims[1:]) <= {0, 1}, "one slot: never more than one delivery claimed at a time"
