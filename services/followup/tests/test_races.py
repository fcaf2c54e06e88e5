"""Timers against commands: the poller and a command's consumer check-then-act on the same complaint.

Both take the complaint's row lock before they look at its state or its timers (the poller with
``SKIP LOCKED``, so it never waits), so whichever comes second sees what the first committed. Each test
holds one side at a barrier inside its transaction while the other runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest

from lapor_followup import repository
from lapor_shared.events.commands import RespondToComplaint

from .harness import WIB

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

PAST_DEADLINE = datetime(2025, 7, 15, 1, 0, tzinfo=WIB)
"""A day after the follow-up deadline of a complaint routed on Monday 7 July 2025 (see test_timers)."""


class Gate:
    """A barrier inside a use case: the wrapped repository function runs, then waits to be let through."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.opened = asyncio.Event()

    def after(self, function: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def paused(*args: Any, **kwargs: Any) -> Any:
            result = await function(*args, **kwargs)
            self.reached.set()
            await self.opened.wait()
            return result
        return paused


async def test_a_response_being_committed_while_the_deadline_passes_stops_the_breach_and_the_escalation(
    followup, monkeypatch
):
    f = followup
    complaint = await f.route("18.71")
    f.clock.set(PAST_DEADLINE)
    gate = Gate()
    monkeypatch.setattr(repository, "cancel_timers", gate.after(repository.cancel_timers))
    responding = asyncio.create_task(
        f.command(complaint, RespondToComplaint(agency_id="umum.18.71", text="Jalan sudah ditambal.")))
    await asyncio.wait_for(gate.reached.wait(), 10)  # the complaint locked, its timers cancelled, not committed

    fired_meanwhile = await f.service.poller.run_once()  # the complaint is busy: skipped, not waited for
    gate.opened.set()
    await asyncio.wait_for(responding, 10)
    monkeypatch.undo()
    fired_after = await f.tick(PAST_DEADLINE)

    assert fired_meanwhile == 0
    assert fired_after == 0, "the follow-up deadline was cancelled by the response"
    assert await f.types(complaint) == ["complaint.deadline_set", "complaint.responded", "complaint.deadline_set"]


async def test_a_response_arriving_while_the_poller_fires_the_deadline_waits_and_then_stops_the_escalation(
    followup, monkeypatch
):
    f = followup
    complaint = await f.route("18.71")
    f.clock.set(PAST_DEADLINE)
    gate = Gate()
    monkeypatch.setattr(repository, "claim_due_timers", gate.after(repository.claim_due_timers))
    polling = asyncio.create_task(f.service.poller.run_once())
    await asyncio.wait_for(gate.reached.wait(), 10)  # the complaint locked, its due timers claimed
    monkeypatch.undo()

    responding = asyncio.create_task(
        f.command(complaint, RespondToComplaint(agency_id="umum.18.71", text="Jalan sudah ditambal.")))
    await asyncio.sleep(0.3)
    waited = not responding.done()
    gate.opened.set()
    assert await asyncio.wait_for(polling, 10) == 2  # the warning (obsolete by now) and the deadline
    await asyncio.wait_for(responding, 10)
    live = await f.conn.fetch("SELECT stage, kind FROM followup.timers WHERE complaint_id = $1"
                              " AND fired_at IS NULL AND cancelled_at IS NULL", complaint.complaint_id)
    stages = {r["stage"] for r in live}

    assert waited, "the command waits for the poller's transaction instead of reading the old state"
    assert await f.types(complaint) == [
        "complaint.deadline_set", "complaint.deadline_breached", "complaint.escalated", "complaint.responded",
        "complaint.deadline_set",
    ]
    assert (await f.case(complaint))["escalation_level"] == 0
    assert "follow_up" not in stages and "auto_close" in stages, "no escalation left to fire; auto-close runs"
