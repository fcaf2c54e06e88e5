"""Forwarding (pelimpahan): the responsible agency names another, routing validates and re-routes under the
same tracking number; loops and endless chains end in triage."""

from __future__ import annotations

from uuid import uuid4

import pytest

from lapor_routing.settings import RoutingSettings
from lapor_shared.events.commands import DeactivateAgency, ForwardComplaint
from lapor_shared.topics import jurisdiction_topic

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

NOT_OURS = "Bukan wewenang kami: jalan provinsi."


@pytest.fixture
def routing_settings(database_url: str) -> RoutingSettings:
    """In this module a complaint may be forwarded twice; the third forwarding goes to triage."""
    return RoutingSettings(database_url=database_url, max_forwards=2)


async def forward(routing, accepted, source: str, target: str, **fields):
    return await routing.send(
        ForwardComplaint(agency_id=source, to_agency_id=target, reason=NOT_OURS),
        complaint_id=fields.pop("complaint_id", accepted.complaint_id), producer=f"agency:{source}", **fields,
    )


async def test_a_forwarded_complaint_is_routed_again_with_the_same_tracking_number(routing):
    accepted = await routing.accept(category_hint="jalan")
    await forward(routing, accepted, "pu.18.71", "pu.18")

    forwarded = routing.last(accepted.complaint_id, "complaint.forwarded")
    rerouted = routing.last(accepted.complaint_id, "complaint.routed")
    assert (forwarded.payload.from_agency.agency_id, forwarded.payload.to_agency.agency_id) == ("pu.18.71", "pu.18")
    assert forwarded.payload.reason.code == "forwarded" and NOT_OURS in forwarded.payload.reason.message_id
    assert rerouted.payload.agency.agency_id == "pu.18"
    assert rerouted.payload.route_count == 2
    assert rerouted.payload.reason.code == "forwarded"
    assert rerouted.jurisdiction_code == forwarded.jurisdiction_code == "18"
    for event in (forwarded, rerouted):
        assert event.tracking_number == accepted.tracking_number
        assert event.correlation_id == accepted.correlation_id
    # the old jurisdiction learns the complaint left; the new one receives it
    assert [e.event_type for e in routing.about(accepted.complaint_id, topic=jurisdiction_topic("18.71"))] == [
        "complaint.routed", "complaint.forwarded",
    ]
    assert [e.event_type for e in routing.about(accepted.complaint_id, topic=jurisdiction_topic("18"))] == [
        "complaint.forwarded", "complaint.routed",
    ]
    history = await routing.sql(
        "SELECT step, outcome, agency_id, route_count, actor FROM routing.routing_decisions"
        " WHERE complaint_id = $1 ORDER BY decision_id", accepted.complaint_id,
    )
    assert [tuple(r) for r in history] == [
        ("accepted", "routed", "pu.18.71", 1, None), ("forward", "routed", "pu.18", 2, "pu.18.71"),
    ]


async def test_a_forwarding_loop_ends_in_triage_with_the_reason(routing):
    accepted = await routing.accept(category_hint="jalan")
    await forward(routing, accepted, "pu.18.71", "pu.18")
    await forward(routing, accepted, "pu.18", "pu.18.71")

    triage = routing.last(accepted.complaint_id, "complaint.needs_triage")
    assert triage.payload.reason.code == "forward_loop"
    assert triage.payload.triage_jurisdiction == triage.jurisdiction_code == "18"
    assert len(routing.about(accepted.complaint_id, "complaint.routed")) == 2
    rows = await routing.sql(
        "SELECT c.status, t.state, t.reason_code FROM routing.complaints c JOIN routing.triage t USING (complaint_id)"
        " WHERE complaint_id = $1", accepted.complaint_id,
    )
    assert tuple(rows[0]) == ("triage", "waiting", "forward_loop")


async def test_a_loop_through_a_national_body_goes_to_national_triage(routing):
    accepted = await routing.accept(category_hint="kesehatan")
    await forward(routing, accepted, "dinkes.18.71", "dinkes.ID")
    await forward(routing, accepted, "dinkes.ID", "dinkes.18")
    await forward(routing, accepted, "dinkes.18", "dinkes.18.71")

    triage = routing.last(accepted.complaint_id, "complaint.needs_triage")
    assert triage.payload.reason.code == "forward_loop"
    assert triage.jurisdiction_code == "ID"


async def test_a_complaint_forwarded_too_often_goes_to_triage(routing):
    accepted = await routing.accept(category_hint="jalan")
    await forward(routing, accepted, "pu.18.71", "umum.18.71")
    await forward(routing, accepted, "umum.18.71", "pu.18")
    await forward(routing, accepted, "pu.18", "pu.ID")

    triage = routing.last(accepted.complaint_id, "complaint.needs_triage")
    assert triage.payload.reason.code == "forward_limit"
    assert "2" in triage.payload.reason.message_en
    assert routing.last(accepted.complaint_id, "complaint.routed").payload.route_count == 3


REFUSALS = [
    ("not_current_agency", dict(source="dinkes.18.71", target="pu.18")),
    ("unknown_agency", dict(source="pu.18.71", target="pu.tidak-ada")),
    ("inactive_agency", dict(source="pu.18.71", target="pu.18", deactivate="pu.18")),
    ("same_agency", dict(source="pu.18.71", target="pu.18.71")),
    ("unknown_complaint", dict(source="pu.18.71", target="pu.18", complaint_id=uuid4())),
]


@pytest.mark.parametrize(("code", "case"), REFUSALS, ids=[c for c, _ in REFUSALS])
async def test_an_invalid_forwarding_is_rejected_and_the_complaint_stays_where_it_was(routing, code, case):
    accepted = await routing.accept(category_hint="jalan")
    if "deactivate" in case:
        await routing.send(DeactivateAgency(agency_id=case["deactivate"]))
    extra = {"complaint_id": case["complaint_id"]} if "complaint_id" in case else {}
    sent = await forward(routing, accepted, case["source"], case["target"], **extra)

    rejected = routing.last(sent.complaint_id, "complaint.action_rejected")
    assert rejected.payload.reason.code == code
    assert rejected.payload.command_id == sent.event_id
    assert rejected.payload.command_type == "agency.forward"
    assert rejected.payload.reason.message_id and rejected.payload.reason.message_en
    assert not routing.about(accepted.complaint_id, "complaint.forwarded")
    rows = await routing.sql("SELECT agency_id, route_count FROM routing.complaints WHERE complaint_id = $1",
                               accepted.complaint_id)
    assert tuple(rows[0]) == ("pu.18.71", 1)


async def test_a_complaint_in_triage_cannot_be_forwarded(routing):
    accepted = await routing.accept(category_hint="jalan", location={"text": "Jalan Jambi"})
    sent = await forward(routing, accepted, "pu.18.71", "pu.18")

    assert routing.last(accepted.complaint_id, "complaint.action_rejected").payload.reason.code == "not_routed"
    assert sent.event_id == routing.last(accepted.complaint_id, "complaint.action_rejected").payload.command_id
