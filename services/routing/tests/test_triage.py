"""Triage: what routing cannot place waits for an admin at the national or a provincial level, who
dispositions it to an agency, holds it (tunda) or archives it; invalid decisions are rejected."""

from __future__ import annotations

from uuid import uuid4

import pytest

from lapor_shared.events.commands import DeactivateAgency, DecideTriage
from lapor_shared.testing.factories import location
from lapor_shared.topics import jurisdiction_topic

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

UNKNOWN_PLACE = location(region_code=None, text="Jalan Merdeka No. 1", latitude=None, longitude=None)


async def decide(routing, accepted, decision: str, agency_id: str | None = None, **fields):
    return await routing.send(
        DecideTriage(admin_ref="admin.nasional.7", decision=decision, agency_id=agency_id,
                     reason=fields.pop("reason", "Sudah diverifikasi.")),
        complaint_id=fields.pop("complaint_id", accepted.complaint_id), producer="admin-console", **fields,
    )


async def open_triage(routing) -> dict:
    rows = await routing.sql(
        "SELECT complaint_id, triage_jurisdiction, state, reason_code FROM routing.triage"
        " WHERE state IN ('waiting', 'held')"
    )
    return {r["complaint_id"]: (r["triage_jurisdiction"], r["state"], r["reason_code"]) for r in rows}


async def test_an_unplaceable_complaint_waits_in_national_triage(routing):
    accepted = await routing.accept(location=UNKNOWN_PLACE, category_hint="kesehatan")

    waiting = routing.last(accepted.complaint_id, "complaint.needs_triage")
    assert waiting.payload.reason.code == "location_unknown"
    assert waiting.jurisdiction_code == waiting.payload.triage_jurisdiction == "ID"
    assert waiting.payload.category == "kesehatan"
    assert [e.event_type for e in routing.about(accepted.complaint_id, topic=jurisdiction_topic("ID"))] == [
        "complaint.needs_triage"
    ]
    assert (await open_triage(routing))[accepted.complaint_id] == ("ID", "waiting", "location_unknown")


async def test_an_ambiguous_place_waits_in_its_provinces_triage(routing):
    accepted = await routing.accept(location=location(region_code=None, text="Bandung", latitude=None, longitude=None))

    waiting = routing.last(accepted.complaint_id, "complaint.needs_triage")
    assert waiting.payload.reason.code == "location_ambiguous"
    assert waiting.jurisdiction_code == "32"
    assert routing.about(accepted.complaint_id, topic=jurisdiction_topic("32"))


async def test_a_disposition_routes_the_complaint_to_the_chosen_agency(routing):
    accepted = await routing.accept(location=UNKNOWN_PLACE, category_hint="kesehatan")
    await decide(routing, accepted, "disposition", "dinkes.18.71", reason="Puskesmas Kedaton, Bandar Lampung.")

    routed = routing.last(accepted.complaint_id, "complaint.routed")
    assert routed.payload.agency.agency_id == "dinkes.18.71"
    assert routed.payload.reason.code == "triage_disposition"
    assert "Puskesmas Kedaton" in routed.payload.reason.message_id
    assert routed.payload.route_count == 1
    assert routed.jurisdiction_code == "18.71"
    assert routed.tracking_number == accepted.tracking_number and routed.correlation_id == accepted.correlation_id
    assert accepted.complaint_id not in await open_triage(routing)
    rows = await routing.sql(
        "SELECT state, decision, decided_by, agency_id FROM routing.triage WHERE complaint_id = $1",
        accepted.complaint_id,
    )
    assert tuple(rows[0]) == ("dispositioned", "disposition", "admin.nasional.7", "dinkes.18.71")


async def test_a_held_complaint_stays_in_triage_until_an_admin_decides_again(routing):
    accepted = await routing.accept(location=UNKNOWN_PLACE)
    await decide(routing, accepted, "hold", reason="Menunggu kelengkapan data lokasi dari pelapor.")

    held = routing.last(accepted.complaint_id, "complaint.held")
    assert held.payload.reason.code == "triage_hold" and held.payload.by == "admin.nasional.7"
    assert "kelengkapan data" in held.payload.reason.message_id
    assert held.jurisdiction_code == "ID"
    assert (await open_triage(routing))[accepted.complaint_id][1] == "held"

    await decide(routing, accepted, "disposition", "umum.11.01")
    assert routing.last(accepted.complaint_id, "complaint.routed").payload.agency.agency_id == "umum.11.01"


async def test_an_archived_complaint_leaves_triage_for_good(routing):
    accepted = await routing.accept(location=UNKNOWN_PLACE)
    await decide(routing, accepted, "archive", reason="Bukan pengaduan pelayanan publik.")
    again = await decide(routing, accepted, "disposition", "umum.18")

    archived = routing.last(accepted.complaint_id, "complaint.archived")
    assert archived.payload.reason.code == "triage_archive" and archived.jurisdiction_code == "ID"
    rejected = routing.last(accepted.complaint_id, "complaint.action_rejected")
    assert rejected.payload.reason.code == "not_in_triage" and rejected.payload.command_id == again.event_id
    assert not routing.about(accepted.complaint_id, "complaint.routed")
    status = await routing.sql("SELECT status FROM routing.complaints WHERE complaint_id = $1", accepted.complaint_id)
    assert status[0]["status"] == "archived"


INVALID = [
    ("unknown_complaint", dict(decision="hold", complaint_id=uuid4())),
    ("not_in_triage", dict(decision="hold", routed=True)),
    ("agency_required", dict(decision="disposition")),
    ("unknown_agency", dict(decision="disposition", agency_id="dinas.tidak-ada")),
    ("inactive_agency", dict(decision="disposition", agency_id="umum.18.02", deactivate="umum.18.02")),
]


@pytest.mark.parametrize(("code", "case"), INVALID, ids=[c for c, _ in INVALID])
async def test_an_invalid_triage_decision_is_rejected_with_its_reason(routing, code, case):
    accepted = await routing.accept(location=location() if case.get("routed") else UNKNOWN_PLACE)
    if "deactivate" in case:
        await routing.send(DeactivateAgency(agency_id=case["deactivate"]))
    extra = {"complaint_id": case["complaint_id"]} if "complaint_id" in case else {}
    sent = await decide(routing, accepted, case["decision"], case.get("agency_id"), **extra)

    rejected = routing.last(sent.complaint_id, "complaint.action_rejected")
    assert rejected.payload.reason.code == code
    assert rejected.payload.command_type == "admin.decide_triage" and rejected.payload.command_id == sent.event_id
    assert rejected.payload.reason.message_id and rejected.payload.reason.message_en
    assert not routing.about(accepted.complaint_id, "complaint.held")
    if not case.get("routed"):
        assert not routing.about(accepted.complaint_id, "complaint.routed")
        assert accepted.complaint_id in await open_triage(routing)
