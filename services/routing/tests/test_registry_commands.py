"""The agency registry at run time: registry commands through the broker, validated, applied without a
redeploy, and seen by the next routing decision (the database is the source of truth)."""

from __future__ import annotations

import asyncpg
import pytest

from lapor_routing import repository
from lapor_routing.app import build
from lapor_routing.registry import RegistryCache
from lapor_routing.seed import seed_agencies
from lapor_shared.events import encode
from lapor_shared.events.commands import DeactivateAgency, UpsertAgency
from lapor_shared.events.values import AgencyLevel
from lapor_shared.regions import all_regions
from lapor_shared.testing.factories import envelope, location
from lapor_shared.testing.service import in_memory
from lapor_shared.topics import REGISTRY_COMMANDS, jurisdiction_topic

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_startup_loads_all_553_general_offices_into_the_database(routing):
    rows = await routing.sql(
        "SELECT jurisdiction_code FROM routing.agencies WHERE 'umum' = ANY (categories) AND active"
    )

    assert sorted(r["jurisdiction_code"] for r in rows) == sorted(["ID", *all_regions()])


async def test_a_restart_keeps_run_time_changes_and_adds_nothing_twice(routing_settings):
    for run in range(2):
        runtime = build(routing_settings).runtime
        async with in_memory(runtime) as broker:
            if run == 0:
                await broker.publish(
                    encode(envelope(DeactivateAgency(agency_id="dinkes.18.71", reason="digabung"))),
                    topic=REGISTRY_COMMANDS.name,
                )
    conn = await asyncpg.connect(routing_settings.database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM routing.agencies") == len(seed_agencies())
        assert await conn.fetchval("SELECT active FROM routing.agencies WHERE agency_id = 'dinkes.18.71'") is False
    finally:
        await conn.close()


async def test_deactivating_an_agency_reroutes_new_complaints_up_the_tree(routing):
    before = await routing.accept(category_hint="kesehatan")
    await routing.send(DeactivateAgency(agency_id="dinkes.18.71", reason="Dilebur ke dinas lain"))
    middle = await routing.accept(category_hint="kesehatan")
    await routing.send(DeactivateAgency(agency_id="umum.18.71"))
    after = await routing.accept(category_hint="kesehatan")

    assert routing.last(before.complaint_id, "complaint.routed").payload.agency.agency_id == "dinkes.18.71"
    assert routing.last(middle.complaint_id, "complaint.routed").payload.agency.agency_id == "umum.18.71"
    moved = routing.last(after.complaint_id, "complaint.routed")
    assert moved.payload.agency.agency_id == "dinkes.18"
    assert moved.payload.reason.code == "parent_fallback"
    assert moved.jurisdiction_code == "18"
    changes = [e for e in routing.on(REGISTRY_COMMANDS.name) if e.event_type == "registry.agency_changed"]
    assert [(e.payload.agency_id, e.payload.active) for e in changes] == [
        ("dinkes.18.71", False), ("umum.18.71", False)
    ]


async def test_an_agency_added_at_run_time_receives_the_next_complaints_of_its_category(routing):
    await routing.send(UpsertAgency(
        agency_id="dinkes.18.01", name="Dinas Kesehatan Kabupaten Lampung Selatan", level=AgencyLevel.REGENCY,
        jurisdiction_code="18.01", categories=["kesehatan"], parent_id="umum.18.01",
        channels=[f"kafka:{jurisdiction_topic('18.01')}", "email:dinkes@lampungselatankab.go.id"],
    ))
    in_lampung_selatan = location(region_code="18.01", latitude=None, longitude=None)
    routed = await routing.accept(category_hint="kesehatan", location=in_lampung_selatan)
    other = await routing.accept(category_hint="pendidikan", location=in_lampung_selatan)

    assert routing.last(routed.complaint_id, "complaint.routed").payload.agency.agency_id == "dinkes.18.01"
    assert routing.last(other.complaint_id, "complaint.routed").payload.agency.agency_id == "umum.18.01"
    rows = await routing.sql("SELECT source, categories FROM routing.agencies WHERE agency_id = 'dinkes.18.01'")
    assert (rows[0]["source"], rows[0]["categories"]) == ("command", ["kesehatan"])


async def test_an_agency_reactivated_by_upsert_routes_again(routing):
    await routing.send(DeactivateAgency(agency_id="dinkes.18.71"))
    await routing.send(UpsertAgency(
        agency_id="dinkes.18.71", name="Dinas Kesehatan Kota Bandar Lampung", level=AgencyLevel.REGENCY,
        jurisdiction_code="18.71", categories=["kesehatan"], parent_id="umum.18.71",
    ))
    routed = await routing.accept(category_hint="kesehatan")

    assert routing.last(routed.complaint_id, "complaint.routed").payload.agency.agency_id == "dinkes.18.71"


def _upsert(**overrides) -> UpsertAgency:
    fields = dict(
        agency_id="dinkes.18.02", name="Dinas Kesehatan Kabupaten Lampung Tengah", level=AgencyLevel.REGENCY,
        jurisdiction_code="18.02", categories=["kesehatan"], parent_id="umum.18.02",
    )
    return UpsertAgency(**{**fields, **overrides})


INVALID = [
    ("unknown_jurisdiction", _upsert(jurisdiction_code="18.99")),
    ("level_mismatch", _upsert(level=AgencyLevel.PROVINCE)),
    ("unknown_category", _upsert(categories=["kesehatan", "astrologi"])),
    ("unknown_parent", _upsert(parent_id="tidak.ada")),
    ("parent_outside_jurisdiction", _upsert(parent_id="umum.11")),
    ("invalid_channel", _upsert(channels=["merpati:pos"])),
    ("invalid_agency_id", _upsert(agency_id="dinas kesehatan!")),
    ("invalid_name", _upsert(name="  ")),
    ("jurisdiction_immutable", _upsert(agency_id="dinkes.18.71")),
    ("parent_cycle", _upsert(agency_id="umum.18", name="Unit Pengaduan", level=AgencyLevel.PROVINCE,
                             jurisdiction_code="18", parent_id="dinkes.18")),
    ("unknown_agency", DeactivateAgency(agency_id="tidak.ada")),
]


@pytest.mark.parametrize(("code", "command"), INVALID, ids=[c for c, _ in INVALID])
async def test_an_invalid_registry_command_is_rejected_with_its_reason_and_changes_nothing(routing, code, command):
    before = await routing.sql("SELECT * FROM routing.agencies ORDER BY agency_id")
    sent = await routing.send(command)

    answers = [e for e in routing.on(REGISTRY_COMMANDS.name) if e.event_type.startswith("registry.")
               and e.event_type != command.event_type]
    assert [a.event_type for a in answers] == ["registry.command_rejected"]
    rejected = answers[0].payload
    assert rejected.command_id == sent.event_id and rejected.agency_id == command.agency_id
    assert code in [r.code for r in rejected.reasons]
    assert all(r.message_id and r.message_en for r in rejected.reasons)
    assert await routing.sql("SELECT * FROM routing.agencies ORDER BY agency_id") == before
    log = await routing.sql("SELECT outcome FROM routing.registry_commands WHERE command_id = $1", sent.event_id)
    assert [r["outcome"] for r in log] == ["rejected"]


async def test_the_registry_revision_is_read_once_for_all_the_decisions_of_one_transaction(routing, monkeypatch):
    cache, batch, next_batch = RegistryCache(), object(), object()
    await cache.reload(routing.pool)
    reads = 0
    read_revision = repository.registry_revision

    async def counted(conn):
        nonlocal reads
        reads += 1
        return await read_revision(conn)

    monkeypatch.setattr(repository, "registry_revision", counted)
    async with routing.pool.acquire() as conn:
        for within in (batch, batch, batch, next_batch, None, None):
            await cache.current(conn, within=within)

    assert reads == 4  # the batch once, the next batch once, and every look outside a consumer's transaction


async def test_a_change_committed_by_another_replica_is_seen_before_the_next_decision(routing):
    conn = await asyncpg.connect(routing.database_url)
    try:
        await conn.execute("SET search_path TO routing")
        async with conn.transaction():
            await conn.execute("UPDATE agencies SET active = false WHERE agency_id = 'dinkes.18.71'")
            await conn.execute("UPDATE registry_state SET version = version + 1, revision = gen_random_uuid()")
    finally:
        await conn.close()

    routed = await routing.accept(category_hint="kesehatan")

    assert routing.last(routed.complaint_id, "complaint.routed").payload.agency.agency_id == "umum.18.71"
