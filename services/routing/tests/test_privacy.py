"""What reaches the jurisdiction tree: never an anonim reporter's identity, rahasia marked as
``confidential`` and its content only on the responsible agency's (or triage desk's) own stream, and each
event on the topics of the agency (or triage desk) responsible for it."""

from __future__ import annotations

from uuid import uuid4

import pytest

from lapor_shared.events.commands import DecideTriage, ForwardComplaint
from lapor_shared.testing.factories import complaint_accepted, location
from lapor_shared.topics import COMPLAINTS, agency_stream, complaint_audiences, jurisdiction_topic, triage_stream

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


async def walk_through_every_path(routing, **fields):
    """Route, forward, loop into triage, disposition; and a second complaint straight into triage."""
    routed = await routing.accept(complaint_accepted(category_hint="jalan", **fields))
    for source, target in (("pu.18.71", "pu.18"), ("pu.18", "pu.18.71")):
        await routing.send(ForwardComplaint(agency_id=source, to_agency_id=target, reason="Bukan wewenang."),
                           complaint_id=routed.complaint_id)
    await routing.send(DecideTriage(admin_ref="admin.lampung", decision="disposition", agency_id="dinkes.18.71",
                                    reason="Terkait puskesmas."), complaint_id=routed.complaint_id)
    unplaced = await routing.accept(complaint_accepted(location=location(region_code=None, text="?"), **fields))
    return routed, unplaced


async def test_an_anonymous_reporter_never_reaches_any_jurisdiction_topic(routing):
    # even when the accepted event wrongly carries a reporter_ref, routing drops it
    leaked_ref = uuid4()
    routed, unplaced = await walk_through_every_path(routing, anonymous=True, reporter_ref=leaked_ref)

    messages = routing.jurisdiction_messages()
    types = {p.envelope.event_type for p in messages}
    assert {"complaint.routed", "complaint.forwarded", "complaint.needs_triage"} <= types
    for message in messages:
        assert str(leaked_ref) not in message.body.decode()
        assert getattr(message.envelope.payload, "reporter_ref", None) is None
    for complaint in (routed, unplaced):
        assert all(e.payload.anonymous for e in routing.about(complaint.complaint_id, "complaint.routed"))
    stored = await routing.sql("SELECT content::text AS content FROM routing.complaints")
    assert len(stored) == 2 and all(str(leaked_ref) not in r["content"] for r in stored)


async def test_a_named_reporters_opaque_ref_travels_with_the_routed_complaint(routing):
    reporter_ref = uuid4()
    routed, _ = await walk_through_every_path(routing, anonymous=False, reporter_ref=reporter_ref)

    assert {e.payload.reporter_ref for e in routing.about(routed.complaint_id, "complaint.routed")} == {reporter_ref}


async def test_a_confidential_complaint_is_marked_on_every_event_that_carries_its_content(routing):
    routed, unplaced = await walk_through_every_path(routing, confidential=True)

    with_content = [p.envelope for p in routing.jurisdiction_messages()
                    if p.envelope.event_type in ("complaint.routed", "complaint.needs_triage")]
    assert {e.complaint_id for e in with_content} == {routed.complaint_id, unplaced.complaint_id}
    assert all(e.payload.confidential is True for e in with_content)


async def test_every_event_is_on_the_topics_of_the_agency_or_triage_desk_responsible_for_it(routing):
    await walk_through_every_path(routing)

    for message in routing.jurisdiction_messages():
        event = message.envelope
        payload = event.payload
        if event.event_type == "complaint.routed":
            assert (event.jurisdiction_code, event.agency_id) == (payload.agency.jurisdiction_code,
                                                                  payload.agency.agency_id)
        if event.event_type == "complaint.needs_triage":
            assert (event.jurisdiction_code, event.agency_id) == (payload.triage_jurisdiction, None)
        if event.event_type == "complaint.forwarded":
            assert (event.jurisdiction_code, event.agency_id) == (payload.to_agency.jurisdiction_code,
                                                                  payload.to_agency.agency_id)
            assert message.topic in {*complaint_audiences(payload.from_agency.jurisdiction_code,
                                                          payload.from_agency.agency_id),
                                     *complaint_audiences(payload.to_agency.jurisdiction_code,
                                                          payload.to_agency.agency_id)}
        else:
            assert message.topic in complaint_audiences(event.jurisdiction_code, event.agency_id)


CONTENT = "Anak saya dirundung di Puskesmas Kedaton oleh petugas bernama Budi."


async def test_a_rahasia_complaints_content_is_only_on_its_agencys_and_its_triage_desks_streams(routing):
    routed, unplaced = await walk_through_every_path(routing, confidential=True, description=CONTENT)

    holders = {p.topic for p in routing.jurisdiction_messages() if CONTENT in p.body.decode()}
    assert holders == {agency_stream("18.71", "pu.18.71"), agency_stream("18", "pu.18"),
                       agency_stream("18.71", "dinkes.18.71"), triage_stream("18")}
    shared = routing.jurisdiction_messages(shared_only=True)
    assert {p.envelope.complaint_id for p in shared} == {routed.complaint_id, unplaced.complaint_id}
    assert not [p.topic for p in shared if CONTENT in p.body.decode()]
    assert CONTENT in routing.last(routed.complaint_id, "complaint.routed").payload.description  # lapor.complaints
    assert routing.on(COMPLAINTS.name)


async def test_an_open_complaints_content_stays_on_the_shared_topic_for_the_overview(routing):
    routed, _ = await walk_through_every_path(routing, confidential=False, description=CONTENT)

    shared = [p for p in routing.jurisdiction_messages(shared_only=True)
              if p.envelope.complaint_id == routed.complaint_id and p.envelope.event_type == "complaint.routed"]
    assert shared and all(CONTENT in p.body.decode() for p in shared)
    assert {p.topic for p in shared} >= {jurisdiction_topic("18.71")}
