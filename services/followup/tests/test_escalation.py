"""A missed deadline escalates one level up the tree, and again while ignored; the original agency still
owes the answer, and the offices it reached may act on it."""

from __future__ import annotations

from datetime import datetime

import pytest

from lapor_shared.events.commands import AcknowledgeComplaint, RespondToComplaint

from .harness import TOKENS, WIB

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2025, 7, day, hour, minute, tzinfo=WIB)


async def test_an_ignored_complaint_escalates_to_the_province_and_then_to_the_nation(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7))  # due Monday 14 July, 23:59:59 WIB

    assert await f.tick(at(13, 23)) == 0
    await f.tick(at(14, 8))
    [warning] = await f.events(complaint, "complaint.deadline_warning")
    assert warning.payload.agency_id == "umum.18.71"

    await f.tick(at(15, 0, 5))
    [breach] = await f.events(complaint, "complaint.deadline_breached")
    assert (breach.payload.stage, breach.payload.agency_id) == ("follow_up", "umum.18.71")
    assert breach.payload.due_at == datetime(2025, 7, 14, 23, 59, 59, tzinfo=WIB)
    assert (breach.payload.policy_version, breach.payload.working_days) == ("permenpanrb-62-2018", 5)
    [first] = await f.events(complaint, "complaint.escalated")
    assert first.payload.escalation_level == 1
    assert first.payload.from_agency.agency_id == "umum.18.71"
    assert first.payload.to_agency.agency_id == "umum.18"
    assert first.payload.to_agency.level == "province"
    assert first.payload.due_at == datetime(2025, 7, 22, 23, 59, 59, tzinfo=WIB)
    assert (first.payload.policy_version, first.payload.working_days) == ("permenpanrb-62-2018", 5)
    assert [h.event_type for h in first.payload.history] == [
        "complaint.routed", "complaint.deadline_set", "complaint.deadline_warning", "complaint.deadline_breached",
    ]
    assert first.jurisdiction_code == "18.71"  # still the regency's complaint: its topic, seen by the province
    case = await f.case(complaint)
    assert (case["agency_id"], case["escalation_level"], case["escalated_to"]) == ("umum.18.71", 1, ["umum.18"])

    # the province's office sees it in its work list, as an escalated complaint
    status, body = await f.http("/v1/worklist", token=TOKENS["umum.18"])
    assert status == 200
    assert [(i["tracking_number"], i["role"], i["overdue"]) for i in body["items"]] == [
        (complaint.tracking_number, "escalated", True)
    ]

    assert await f.tick(at(22, 23)) == 0
    await f.tick(at(23, 0, 5))
    second = (await f.events(complaint, "complaint.escalated"))[-1]
    assert second.payload.escalation_level == 2
    assert second.payload.from_agency.agency_id == "umum.18"
    assert second.payload.to_agency.agency_id == "umum.ID"
    assert second.payload.due_at is None  # the top: nobody above the nation
    breaches = await f.events(complaint, "complaint.deadline_breached")
    assert len(breaches) == 2 and breaches[1].payload.agency_id == "umum.18.71"
    assert (await f.case(complaint))["escalated_to"] == ["umum.18", "umum.ID"]

    assert await f.tick(at(31)) == 0
    assert len(await f.events(complaint, "complaint.escalated")) == 2

    # the regency still owes the answer; its response ends the escalation
    f.clock.set(at(31, 9))
    await f.command(complaint, RespondToComplaint(agency_id="umum.18.71", text="Maaf terlambat; sudah diperbaiki."))
    case = await f.case(complaint)
    assert (case["status"], case["escalation_level"], case["escalated_to"]) == ("responded", 0, [])
    assert case["answered_in_time"] is False
    status, body = await f.http("/v1/worklist", token=TOKENS["umum.18"])
    assert body["items"] == []


async def test_an_office_a_complaint_was_escalated_to_may_act_and_a_neighbour_may_not(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7))
    await f.tick(at(15, 1))  # escalated to umum.18

    f.clock.set(at(15, 9))
    await f.command(complaint, AcknowledgeComplaint(agency_id="umum.18.01"))  # another regency
    await f.command(complaint, AcknowledgeComplaint(agency_id="umum.ID"))  # not escalated that far yet
    assert await f.rejections(complaint) == ["not_responsible_agency", "not_responsible_agency"]
    await f.command(complaint, AcknowledgeComplaint(agency_id="umum.18"))
    assert await f.status(complaint) == "acknowledged"
    [ack] = await f.events(complaint, "complaint.acknowledged")
    assert ack.payload.agency_id == "umum.18"


async def test_a_province_agency_escalates_straight_to_the_nation_and_a_national_one_nowhere(followup):
    f = followup
    provincial = await f.route("18", at=at(7))
    national = await f.route("18.71", at=at(7), agency=_national())
    await f.tick(at(15, 1))
    [up] = await f.events(provincial, "complaint.escalated")
    assert (up.payload.to_agency.agency_id, up.payload.due_at) == ("umum.ID", None)
    assert len(await f.events(national, "complaint.deadline_breached")) == 1
    assert await f.events(national, "complaint.escalated") == []


def _national():
    from lapor_shared.events.values import AgencyLevel
    from lapor_shared.testing.factories import agency_ref

    return agency_ref(agency_id="umum.ID", name="Unit Pengaduan Nasional (KemenPANRB)", level=AgencyLevel.NATIONAL,
                      jurisdiction_code="ID")
