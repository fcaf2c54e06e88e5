"""A complaint published by an outside adapter reaches its jurisdiction's topic and notify's store."""

from __future__ import annotations

import json

import asyncpg
import pytest

from lapor_shared.events.values import Location
from lapor_shared.testing.kafka_io import consume, publish, wait_for
from lapor_shared.topics import SUBMISSION_RESULTS, SUBMISSIONS, jurisdiction_pattern, jurisdiction_topic
from tests.conftest import submission

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


async def test_complaints_from_an_outside_adapter_reach_their_jurisdiction_and_notify(platform):
    in_bandar_lampung = [submission(location=Location(region_code="18.71")) for _ in range(3)]
    in_lampung_selatan = [submission(location=Location(region_code="18.01"))]
    in_aceh = [submission(location=Location(region_code="11.01"))]
    everything = in_bandar_lampung + in_lampung_selatan + in_aceh
    await publish(platform.bootstrap_servers, SUBMISSIONS.name, everything)

    regency = await consume(
        platform.bootstrap_servers, topics=[jurisdiction_topic("18.71")],
        until=lambda rs: len([r for r in rs if dict(r.headers)["event_type"] == b"complaint.routed"]) >= 3,
    )
    routed_here = {json.loads(r.value)["correlation_id"] for r in regency
                   if dict(r.headers)["event_type"] == b"complaint.routed"}
    assert routed_here == {str(e.correlation_id) for e in in_bandar_lampung}

    province = await consume(
        platform.bootstrap_servers, pattern=jurisdiction_pattern("18"),
        until=lambda rs: len({r.topic for r in rs}) >= 2,
    )
    assert {r.topic for r in province} == {jurisdiction_topic("18.71"), jurisdiction_topic("18.01")}

    conn = await asyncpg.connect(platform.database_url)
    try:
        async def notified() -> bool:
            return len(everything) == await conn.fetchval(
                "SELECT count(DISTINCT tracking_number) FROM notify.notifications"
                " WHERE template = 'complaint_routed.reporter'"
            )

        assert await wait_for(notified), "every complaint should have reached notify"
    finally:
        await conn.close()


async def test_the_channel_learns_its_tracking_number_or_why_it_was_rejected(platform):
    good = submission()
    bad = submission(title="", location=Location(region_code="99.99"))
    await publish(platform.bootstrap_servers, SUBMISSIONS.name, [good, bad])

    results = await consume(platform.bootstrap_servers, topics=[SUBMISSION_RESULTS.name],
                            until=lambda rs: len(rs) >= 2)
    by_message = {json.loads(r.value)["payload"]["channel_message_id"]: json.loads(r.value) for r in results}
    accepted = by_message[good.payload.channel_message_id]
    rejected = by_message[bad.payload.channel_message_id]
    assert accepted["event_type"] == "submission.accepted"
    assert accepted["tracking_number"].startswith("LPR-")
    assert accepted["payload"]["tracking_number"] == accepted["tracking_number"]
    assert accepted["payload"]["reporter_key"] and "title" not in accepted["payload"]
    assert rejected["event_type"] == "complaint.rejected"
    assert {r["code"] for r in rejected["payload"]["reasons"]} == {"required", "unknown_region"}
    assert all(r["message_id"] and r["message_en"] for r in rejected["payload"]["reasons"])
