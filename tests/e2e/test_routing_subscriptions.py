"""Subscribing at any level of the jurisdiction tree, through the whole platform on a real broker: a
province sees its regencies and no other province, the nation sees everything, and no jurisdiction
topic carries a reporter's identity."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord

from lapor_shared.events.values import Location
from lapor_shared.regions import all_regions
from lapor_shared.testing.kafka_io import QUICK_SESSION, publish
from lapor_shared.topics import SUBMISSIONS, jurisdiction_pattern, jurisdiction_topic
from tests.conftest import submission

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


async def read_pattern(bootstrap: str, pattern: str, until, timeout: float = 60.0
                       ) -> tuple[list[ConsumerRecord], set[str]]:
    """Everything on the topics matching ``pattern`` (from the start) until ``until(records)``, and the
    topics the subscription covered."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=f"monitor-{uuid.uuid4().hex}", auto_offset_reset="earliest",
        enable_auto_commit=False, metadata_max_age_ms=1000,
        **QUICK_SESSION,
    )
    consumer.subscribe(pattern=pattern)
    await consumer.start()
    records: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not until(records):
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
        return records, set(consumer.subscription())
    finally:
        await consumer.stop()


def routed(records: list[ConsumerRecord]) -> dict[str, dict]:
    """complaint.routed bodies by tracking number."""
    bodies = [json.loads(r.value) for r in records if dict(r.headers)["event_type"] == b"complaint.routed"]
    return {b["tracking_number"]: b for b in bodies}


def correlations(records: list[ConsumerRecord]) -> set[str]:
    return {json.loads(r.value)["correlation_id"] for r in records}


async def test_a_province_sees_its_regencies_and_the_nation_sees_everything(platform):
    bootstrap = platform.bootstrap_servers
    health_in_the_city = submission(location=Location(region_code="18.71"), category_hint="kesehatan")
    anonymous_by_name = submission(location=Location(text="Jl. Kartini 5, Kota Bandar Lampung"), anonymous=True,
                                   category_hint="jalan")
    in_lampung_selatan = submission(location=Location(region_code="18.01"), confidential=True)
    in_palembang = submission(location=Location(region_code="16.71"))  # Sumatera Selatan, the neighbour
    nowhere = submission(location=Location(text="di dekat pasar"))
    lampung = [health_in_the_city, anonymous_by_name, in_lampung_selatan]
    placed = [*lampung, in_palembang]
    await publish(bootstrap, SUBMISSIONS.name, [*placed, nowhere])

    nation, nation_topics = await read_pattern(
        bootstrap, jurisdiction_pattern("ID"),
        until=lambda rs: len(routed(rs)) >= 4 and {str(nowhere.correlation_id)} <= correlations(rs),
    )
    assert {b["correlation_id"] for b in routed(nation).values()} == {str(s.correlation_id) for s in placed}
    assert len(nation_topics) == 1 + len(all_regions())
    bodies = [json.loads(r.value) for r in nation]
    triage = [b for b in bodies if b["correlation_id"] == str(nowhere.correlation_id)]
    assert triage[0]["event_type"] == "complaint.needs_triage"
    assert triage[0]["payload"]["reason"]["code"] == "location_unknown"

    province, province_topics = await read_pattern(
        bootstrap, jurisdiction_pattern("18"), until=lambda rs: len(routed(rs)) >= 3,
    )
    lampung_codes = {"18", *(c for c, r in all_regions().items() if r.parent_code == "18")}
    assert province_topics == {jurisdiction_topic(c) for c in lampung_codes}
    assert {r.topic for r in province} == {jurisdiction_topic("18.71"), jurisdiction_topic("18.01")}
    assert correlations(province) == {str(s.correlation_id) for s in lampung}

    by_correlation = {b["correlation_id"]: b for b in routed(province).values()}
    city = by_correlation[str(health_in_the_city.correlation_id)]
    assert city["payload"]["agency"]["agency_id"] == "dinkes.18.71"
    assert city["jurisdiction_code"] == "18.71" and city["payload"]["reporter_ref"]
    by_name = by_correlation[str(anonymous_by_name.correlation_id)]
    assert by_name["payload"]["agency"]["agency_id"] == "pu.18.71"
    assert by_name["payload"]["reason"]["field"] == "location.text"
    assert by_name["payload"]["anonymous"] is True and by_name["payload"]["reporter_ref"] is None
    assert by_correlation[str(in_lampung_selatan.correlation_id)]["payload"]["confidential"] is True

    # no jurisdiction topic ever carries who the reporters are
    for record in nation:
        body = record.value.decode()
        for sent in (*placed, nowhere):
            contact = sent.payload.reporter
            assert contact is not None
            assert contact.name not in body and contact.phone not in body and contact.email not in body
