"""SIGKILL a service while complaints flow: after a restart every complaint reaches notify exactly once."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import asyncpg
import pytest

from lapor_shared.testing.kafka_io import consume, publish, wait_for
from lapor_shared.topics import COMPLAINTS, NOTIFICATIONS, SUBMISSIONS
from tests.conftest import submission

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

COMPLAINT_COUNT = 200
MESSAGES_PER_COMPLAINT = 3  # accepted → reporter; routed → reporter and officer


async def _publish_steadily(bootstrap: str, envelopes, per_batch: int = 10) -> None:
    for start in range(0, len(envelopes), per_batch):
        await publish(bootstrap, SUBMISSIONS.name, envelopes[start : start + per_batch])
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("victim", ["intake", "routing", "followup", "notify"])
async def test_a_killed_service_loses_nothing_and_repeats_nothing(platform, victim):
    complaints = [submission() for _ in range(COMPLAINT_COUNT)]
    publishing = asyncio.create_task(_publish_steadily(platform.bootstrap_servers, complaints))
    await asyncio.sleep(1.0)
    platform.services[victim].kill()
    await asyncio.sleep(0.5)
    await asyncio.to_thread(platform.restart, victim)
    await publishing

    conn = await asyncpg.connect(platform.database_url)
    try:
        async def all_done() -> bool:
            notified = await conn.fetchval("SELECT count(*) FROM notify.notifications")
            clocks = await conn.fetchval("SELECT count(*) FROM followup.timers")
            return notified >= COMPLAINT_COUNT * MESSAGES_PER_COMPLAINT and clocks >= COMPLAINT_COUNT

        await wait_for(all_done, timeout=90)
        per_complaint = await conn.fetch(
            "SELECT tracking_number, count(*) AS n FROM notify.notifications GROUP BY tracking_number"
        )
        accepted = await conn.fetchval("SELECT count(*) FROM intake.complaints")
        timers = await conn.fetchval("SELECT count(*) FROM followup.timers")
    finally:
        await conn.close()

    assert accepted == COMPLAINT_COUNT, "each submission makes exactly one complaint"
    assert len(per_complaint) == COMPLAINT_COUNT, "no complaint is lost on the way to notify"
    assert {r["n"] for r in per_complaint} == {MESSAGES_PER_COMPLAINT}, "no notification is repeated"
    assert timers == COMPLAINT_COUNT, "each complaint's clock starts once"

    routed = await consume(
        platform.bootstrap_servers, topics=[COMPLAINTS.name],
        until=lambda rs: len({r.value for r in rs if dict(r.headers)["event_type"] == b"complaint.routed"})
        >= COMPLAINT_COUNT,
    )
    routed_ids = Counter(
        json.loads(r.value)["complaint_id"] for r in routed if dict(r.headers)["event_type"] == b"complaint.routed"
    )
    routed_event_ids = {json.loads(r.value)["event_id"] for r in routed
                        if dict(r.headers)["event_type"] == b"complaint.routed"}
    assert len(routed_ids) == COMPLAINT_COUNT
    assert len(routed_event_ids) == COMPLAINT_COUNT, "a redelivery may repeat an event, never a decision"

    sent = await consume(
        platform.bootstrap_servers, topics=[NOTIFICATIONS.name],
        until=lambda rs: len({r.value for r in rs}) >= COMPLAINT_COUNT * MESSAGES_PER_COMPLAINT,
    )
    sent_ids = {json.loads(r.value)["event_id"] for r in sent}
    assert len(sent_ids) == COMPLAINT_COUNT * MESSAGES_PER_COMPLAINT
    assert platform.services[victim].starts == 2
