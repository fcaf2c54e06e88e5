"""Routing's commands come from the sender their topic names: an agency forwards only as itself, an admin
decides triage only within its scope; an impostor is refused where no agency reads it."""

from __future__ import annotations

import pytest

from lapor_routing.seed import seed_agencies
from lapor_shared.events.commands import DecideTriage, ForwardComplaint
from lapor_shared.onboarding import Onboarding
from lapor_shared.testing.factories import location
from lapor_shared.topics import ADMIN_COMMANDS, AGENCY_COMMANDS, COMPLAINTS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

BANDUNG = location(region_code=None, text="Bandung", latitude=None, longitude=None)
"""Ambiguous: waits for an admin of Jawa Barat (32)."""


def rejections(routing, complaint_id) -> list[str]:
    return [e.payload.reason.code for e in routing.about(complaint_id, "complaint.action_rejected")]


async def agency_of(routing, complaint_id) -> str:
    [row] = await routing.sql("SELECT agency_id FROM routing.complaints WHERE complaint_id = $1", complaint_id)
    return row["agency_id"]


async def test_an_agency_cannot_forward_another_agencys_complaint_even_by_naming_it(routing):
    accepted = await routing.accept(category_hint="jalan")  # Dinas PU Kota Bandar Lampung's
    impostor = await routing.send(ForwardComplaint(agency_id="pu.18.71", to_agency_id="pu.18", reason="Bukan."),
                                  complaint_id=accepted.complaint_id, topic=AGENCY_COMMANDS.topic("dinkes.18.71"))

    assert rejections(routing, accepted.complaint_id) == ["sender_mismatch"]
    assert routing.about(accepted.complaint_id, "complaint.forwarded") == []
    assert await agency_of(routing, accepted.complaint_id) == "pu.18.71"
    refused = [p.topic for p in routing.published if p.envelope.causation_id == impostor.event_id]
    assert refused == [COMPLAINTS.name], "no agency-readable topic learns of the attempt"


async def test_the_responsible_agency_forwards_on_its_own_topic(routing):
    accepted = await routing.accept(category_hint="jalan")
    await routing.send(ForwardComplaint(agency_id="pu.18.71", to_agency_id="pu.18", reason="Jalan provinsi."),
                       complaint_id=accepted.complaint_id, topic=AGENCY_COMMANDS.topic("pu.18.71"))

    assert rejections(routing, accepted.complaint_id) == []
    assert await agency_of(routing, accepted.complaint_id) == "pu.18"


async def test_an_agency_acting_as_itself_on_a_complaint_not_its_own_is_told_why_on_its_own_stream(routing):
    accepted = await routing.accept(category_hint="jalan")
    await routing.send(ForwardComplaint(agency_id="dinkes.18.71", to_agency_id="pu.18", reason="Bukan."),
                       complaint_id=accepted.complaint_id)

    [refusal] = routing.about(accepted.complaint_id, "complaint.action_rejected")
    assert refusal.payload.reason.code == "not_current_agency"
    assert refusal.agency_id == "dinkes.18.71"


async def test_an_admin_decides_triage_only_within_its_scope(routing):
    accepted = await routing.accept(location=BANDUNG)
    decision = DecideTriage(admin_ref="admin.lampung", decision="archive", reason="Duplikat.")

    await routing.send(decision, complaint_id=accepted.complaint_id, topic=ADMIN_COMMANDS.topic("18"))
    assert rejections(routing, accepted.complaint_id) == ["outside_scope"]
    assert routing.about(accepted.complaint_id, "complaint.archived") == []

    await routing.send(decision, complaint_id=accepted.complaint_id, topic=ADMIN_COMMANDS.topic("32"))
    assert routing.about(accepted.complaint_id, "complaint.archived")


async def test_the_nations_admins_decide_every_provinces_triage(routing):
    accepted = await routing.accept(location=BANDUNG)
    await routing.send(DecideTriage(admin_ref="admin.id", decision="hold", reason="Menunggu data.", scope="ID"),
                       complaint_id=accepted.complaint_id)

    assert routing.about(accepted.complaint_id, "complaint.held")


async def test_an_admin_naming_another_scope_than_its_topic_is_refused(routing):
    accepted = await routing.accept(location=BANDUNG)
    await routing.send(DecideTriage(admin_ref="admin.lampung", decision="archive", reason="x", scope="32"),
                       complaint_id=accepted.complaint_id, topic=ADMIN_COMMANDS.topic("18"))

    assert rejections(routing, accepted.complaint_id) == ["sender_mismatch"]
    assert routing.about(accepted.complaint_id, "complaint.archived") == []


def test_every_agency_the_development_onboarding_lists_is_in_the_seed_at_its_jurisdiction():
    seeded = {a.agency_id: a.jurisdiction_code for a in seed_agencies()}

    assert {a: seeded.get(a) for a in Onboarding.load().agencies} == dict(Onboarding.load().agencies)
