"""The read model under overlap: the live consumer and a rebuild (or two replicas during a rebalance)
fold one complaint's events at the same time. Each fold reads the complaint's whole event log, so the
second must see the first one's event: a per-complaint lock makes it wait for the first commit."""

from __future__ import annotations

import asyncio

import pytest

from lapor_dashboard.service import Projector
from lapor_shared.consumer import Tx
from lapor_shared.outbox import Outbox

from .conftest import Story

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_two_events_of_one_complaint_folded_at_once_both_count_in_its_row(dashboard):
    story = Story(region="18.71").routed()
    accepted, routed = story.events
    projector = Projector()
    async with dashboard() as h, h.pool.acquire() as a, h.pool.acquire() as b:
        held = a.transaction()
        await held.start()
        await projector.apply(Tx(a, Outbox(), "dashboard", routed), routed)  # the routing, folded, uncommitted
        async with b.transaction():
            second = asyncio.create_task(projector.apply(Tx(b, Outbox(), "dashboard", accepted), accepted))
            await asyncio.sleep(0.3)
            waited = not second.done()
            await held.commit()
            await asyncio.wait_for(second, 10)
        row = await h.pool.fetchrow("SELECT status, agency_id, title, received_at, routed_at FROM complaints"
                                    " WHERE complaint_id = $1", accepted.complaint_id)

    assert waited, "the second fold waits for the first one's commit"
    assert row["status"] == "routed" and row["agency_id"] == story.agency.agency_id
    assert row["received_at"] is not None and row["routed_at"] is not None
