"""Followup takes a command only from the sender its topic names: agency A cannot act on agency B's
complaint, not even by naming B; an admin acts only on complaints of its scope. Each event goes to the
responsible agency's own stream whole, and to the shared jurisdiction topic without a rahasia
complaint's content."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

import pytest

from lapor_followup.escalation import escalation_chain
from lapor_shared.access import agency_grants, allows, is_escalation_office
from lapor_shared.events import decode
from lapor_shared.events.commands import AcknowledgeComplaint, AdminClose, AdminHold, RespondToComplaint
from lapor_shared.events.lifecycle import ComplaintNeedsTriage
from lapor_shared.events.values import Location, ReportType
from lapor_shared.testing.factories import agency_ref, envelope, reason
from lapor_shared.topics import (
    ADMIN_COMMANDS,
    AGENCY_COMMANDS,
    COMPLAINTS,
    agency_stream,
    jurisdiction_topic,
    triage_stream,
)
from lapor_shared.views import WITHHELD

from .harness import WIB

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

PU = agency_ref(agency_id="pu.18.71", name="Dinas PU Kota Bandar Lampung", jurisdiction_code="18.71")
ANSWER = "Perbaikan jalan di depan rumah Ibu Sari dijadwalkan Senin."


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2025, 7, day, hour, tzinfo=WIB)


async def rows_of(f, complaint, event_type: str) -> dict[str, bytes]:
    rows = await f.conn.fetch("SELECT topic, payload FROM followup.outbox ORDER BY id")
    events = [(r["topic"], bytes(r["payload"]), decode(bytes(r["payload"]))) for r in rows]
    return {topic: body for topic, body, e in events
            if e.complaint_id == complaint.complaint_id and e.event_type == event_type}


async def test_agency_a_cannot_act_on_agency_bs_complaint_even_by_naming_b(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7), agency=PU)

    await f.command(complaint, AcknowledgeComplaint(agency_id="pu.18.71"), topic=AGENCY_COMMANDS.topic("dinkes.18.71"))
    await f.command(complaint, AcknowledgeComplaint(agency_id="dinkes.18.71"))  # as itself: not its complaint

    assert await f.status(complaint) == "routed"
    assert await f.rejections(complaint) == ["sender_mismatch", "not_responsible_agency"]

    await f.command(complaint, AcknowledgeComplaint(agency_id="pu.18.71"))  # B, on B's own topic
    assert await f.status(complaint) == "acknowledged"


async def test_an_impostors_refusal_reaches_no_agency_readable_topic(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7), agency=PU)
    impostor = await f.command(complaint, RespondToComplaint(agency_id="pu.18.71", text="Sudah selesai."),
                               topic=AGENCY_COMMANDS.topic("dinkes.18.71"))

    rows = await f.conn.fetch("SELECT topic, payload FROM followup.outbox")
    refusals = [r["topic"] for r in rows if decode(bytes(r["payload"])).causation_id == impostor.event_id]
    assert refusals == [COMPLAINTS.name]


async def test_an_admin_acts_only_on_complaints_within_its_scope(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7), agency=PU)

    await f.command(complaint, AdminHold(admin_ref="admin.babel", reason="Uji."), topic=ADMIN_COMMANDS.topic("19"))
    await f.command(complaint, AdminHold(admin_ref="admin.kota", reason="Uji.", scope="18.01"),
                    topic=ADMIN_COMMANDS.topic("18.01"))
    assert await f.status(complaint) == "routed"
    assert await f.rejections(complaint) == ["outside_scope", "outside_scope"]

    await f.command(complaint, AdminHold(admin_ref="admin.lampung", reason="Menunggu data.", scope="18"))
    assert await f.status(complaint) == "held"
    await f.command(complaint, AdminClose(admin_ref="admin.kota", reason="Selesai.", scope="18.71"))
    assert await f.status(complaint) == "closed"


async def test_an_admin_naming_another_scope_than_its_topic_is_refused(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7), agency=PU)

    await f.command(complaint, AdminHold(admin_ref="admin.babel", reason="Uji.", scope="18"),
                    topic=ADMIN_COMMANDS.topic("19"))

    assert await f.rejections(complaint) == ["sender_mismatch"]
    assert await f.status(complaint) == "routed"


async def test_a_rahasia_complaints_answer_is_whole_on_its_agencys_stream_and_withheld_on_the_shared_topic(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7), agency=PU, confidential=True)
    await f.command(complaint, RespondToComplaint(agency_id="pu.18.71", text=ANSWER))

    rows = await rows_of(f, complaint, "complaint.responded")

    assert set(rows) == {COMPLAINTS.name, jurisdiction_topic("18.71"), agency_stream("18.71", "pu.18.71")}
    assert ANSWER.encode() in rows[agency_stream("18.71", "pu.18.71")]
    assert ANSWER.encode() not in rows[jurisdiction_topic("18.71")]
    assert decode(rows[jurisdiction_topic("18.71")]).payload.text == WITHHELD


async def test_an_open_complaints_answer_stays_on_the_shared_topic(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7), agency=PU, confidential=False)
    await f.command(complaint, RespondToComplaint(agency_id="pu.18.71", text=ANSWER))

    assert ANSWER.encode() in (await rows_of(f, complaint, "complaint.responded"))[jurisdiction_topic("18.71")]


async def test_a_complaint_waiting_for_triage_is_on_the_triage_desks_stream_not_an_agencys(followup):
    f = followup
    triage = envelope(
        ComplaintNeedsTriage(triage_jurisdiction="18", reason=reason(code="location_ambiguous"),
                             report_type=ReportType.PENGADUAN, title="x", description="y", location=Location(),
                             anonymous=False, confidential=True),
        producer="routing", complaint_id=uuid4(), tracking_number="LPR-TRIA-GE002", jurisdiction_code="18",
        occurred_at=at(7),
    )
    await f.deliver(triage, COMPLAINTS.name)

    [deadline] = await f.events(triage, "complaint.deadline_set")
    assert (deadline.agency_id, deadline.confidential) == (None, True)
    assert set(await rows_of(f, triage, "complaint.deadline_set")) == {
        COMPLAINTS.name, jurisdiction_topic("18"), triage_stream("18")}


@pytest.mark.parametrize("code", ["18.71", "18", "ID"])
def test_every_office_followup_escalates_to_is_granted_the_subtree_it_must_act_in(code):
    for office in escalation_chain(code):
        assert is_escalation_office(office.agency_id, office.jurisdiction_code), office
        assert allows(agency_grants(office.agency_id, office.jurisdiction_code), "Read",
                      agency_stream(code, f"dinkes.{code}") if code != "ID" else "lapor.jurisdiction.ID.18")
