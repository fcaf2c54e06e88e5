"""Routing takes a run of accepted complaints at once (issue 17): the complaints stored in one statement and
the decisions recorded in another, with the same outcome as one by one."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from lapor_routing.app import build
from lapor_routing.settings import RoutingSettings
from lapor_shared.events.values import Location
from lapor_shared.testing.factories import accepted_envelope, complaint_accepted
from lapor_shared.testing.records import record
from lapor_shared.testing.statements import counting
from lapor_shared.topics import COMPLAINTS

from .conftest import RoutingHarness

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def accepted_story() -> list[Any]:
    """Complaints for a regency, a province, no known place (triage); one accepted twice, once under
    another event id."""
    city = accepted_envelope(complaint_accepted(location=Location(region_code="18.71")))
    province = accepted_envelope(complaint_accepted(location=Location(region_code="18")))
    nowhere = accepted_envelope(complaint_accepted(location=Location(text="di suatu tempat")))
    again = city.evolve(event_id=uuid4())  # the same complaint, another event id
    return [city, province, city, nowhere, again]


async def routed_state(h: RoutingHarness) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[Any]]:
    complaints = [tuple(r) for r in await h.sql(
        "SELECT complaint_id, status, agency_id, jurisdiction_code, route_count, agency_path, content::text"
        " FROM complaints ORDER BY complaint_id")]
    decisions = [tuple(r) for r in await h.sql(
        "SELECT complaint_id, step, outcome, agency_id, jurisdiction_code, reason_code, route_count, cause_event_id"
        " FROM routing_decisions ORDER BY complaint_id")]
    events = sorted((e.event_type, str(e.complaint_id), e.causation_id, e.jurisdiction_code,
                     e.payload.model_dump_json()) for e in h.on(COMPLAINTS.name))
    return complaints, decisions, events


async def test_a_run_of_accepted_complaints_is_routed_as_one_by_one_in_two_statements_and_a_revision_read(
    routing, infra, monkeypatch,
):
    story = accepted_story()
    for event in story:
        await routing.consumer("routing.complaints").handle_batch([record(event)])
    await routing.settle()
    expected = await routed_state(routing)

    statements: list[str] = []
    app = build(RoutingSettings(database_url=await infra.new_database()))
    monkeypatch.setattr(app.routing, "_route", counting(app.routing._route, statements))
    async with RoutingHarness(app.runtime) as batched:
        await batched.consumer("routing.complaints").handle_batch([record(event) for event in story])
        await batched.settle()
        got = await routed_state(batched)

    assert got == expected
    assert [c[1] for c in expected[0]].count("triage") == 1 and len(expected[0]) == 3
    assert len(expected[1]) == 3  # one first decision per complaint: the second acceptance changed nothing
    assert len(statements) == 3, statements  # the revision, complaints, decisions (+ a triage entry per triage)
