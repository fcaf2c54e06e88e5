"""A complaint's whole life under controlled time: routed → acknowledged → responded → reporter replies →
responded → auto-closed; the reporter rates; every step is an event on the complaint's stream."""

from __future__ import annotations

from datetime import datetime

import pytest

from lapor_shared.events.commands import (
    AcknowledgeComplaint,
    RateHandling,
    ReplyToResponse,
    RespondToComplaint,
)
from lapor_shared.topics import COMPLAINTS, agency_stream, jurisdiction_topic

from .harness import WIB

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def at(day: int, hour: int = 10, minute: int = 0, month: int = 7) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=WIB)


async def test_a_complaint_lives_from_routing_to_auto_close_on_the_working_day_calendar(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7))  # Monday 7 July 2025, 10:00 WIB

    [deadline] = await f.events(complaint, "complaint.deadline_set")
    assert deadline.payload.stage == "follow_up"
    assert deadline.payload.agency_id == "umum.18.71"
    assert deadline.payload.due_at == datetime(2025, 7, 14, 23, 59, 59, tzinfo=WIB)
    assert deadline.payload.working_days == 5
    assert deadline.payload.policy_version == "permenpanrb-62-2018"
    assert deadline.correlation_id == complaint.correlation_id
    assert deadline.jurisdiction_code == "18.71"
    assert (await f.case(complaint))["policy_version"] == "permenpanrb-62-2018"

    f.clock.set(at(8, 9))
    await f.command(complaint, AcknowledgeComplaint(agency_id="umum.18.71", officer_ref="petugas-17"))
    assert await f.status(complaint) == "acknowledged"

    f.clock.set(at(9, 11))
    await f.command(complaint, RespondToComplaint(
        agency_id="umum.18.71", text="Tim Dinas PU telah meninjau lokasi dan menjadwalkan penambalan.",
        internal_note="Anggaran pemeliharaan tersisa sedikit; koordinasi dengan Bappeda.",
    ))
    assert await f.status(complaint) == "responded"
    auto_close = (await f.events(complaint, "complaint.deadline_set"))[-1].payload
    assert (auto_close.stage, auto_close.working_days) == ("auto_close", 10)
    assert auto_close.due_at == datetime(2025, 7, 23, 23, 59, 59, tzinfo=WIB)

    f.clock.set(at(10, 14))
    await f.command(complaint, ReplyToResponse(text="Sampai hari ini belum ada perbaikan di lokasi."))
    assert await f.status(complaint) == "reporter_replied"
    follow_up = (await f.events(complaint, "complaint.deadline_set"))[-1].payload
    assert (follow_up.stage, follow_up.working_days) == ("follow_up", 5)
    assert follow_up.due_at == datetime(2025, 7, 17, 23, 59, 59, tzinfo=WIB)

    f.clock.set(at(11, 9))
    await f.command(complaint, RespondToComplaint(agency_id="umum.18.71", text="Penambalan selesai 11 Juli."))
    assert await f.status(complaint) == "responded"
    final_auto_close = (await f.events(complaint, "complaint.deadline_set"))[-1].payload
    assert final_auto_close.due_at == datetime(2025, 7, 25, 23, 59, 59, tzinfo=WIB)

    # the first auto-close clock (due 23 July) was stopped by the reply: nothing happens on 24 July
    assert await f.tick(at(24, 12)) == 0
    assert await f.status(complaint) == "responded"
    # one working day before: the warning
    await f.tick(at(25, 1))
    [warning] = await f.events(complaint, "complaint.deadline_warning")
    assert (warning.payload.stage, warning.payload.due_at) == ("auto_close", final_auto_close.due_at)
    assert warning.payload.policy_version == "permenpanrb-62-2018" and warning.payload.working_days == 10
    # ten working days without a reply from the reporter
    await f.tick(at(26, 0, 1))
    assert await f.status(complaint) == "closed"
    [closed] = await f.events(complaint, "complaint.closed")
    assert (closed.payload.reason, closed.payload.by) == ("auto_close", "system")
    assert closed.occurred_at == at(26, 0, 1)

    await f.tick(at(30))
    assert len(await f.events(complaint, "complaint.closed")) == 1

    f.clock.set(at(30, 8))
    await f.command(complaint, RateHandling(rating=4, comment="Cukup cepat."))
    assert (await f.case(complaint))["rating"] == 4

    assert await f.types(complaint) == [
        "complaint.deadline_set",
        "complaint.acknowledged",
        "complaint.responded",
        "complaint.deadline_set",
        "complaint.reporter_replied",
        "complaint.deadline_set",
        "complaint.responded",
        "complaint.deadline_set",
        "complaint.deadline_warning",
        "complaint.closed",
        "complaint.rated",
    ]
    every = await f.events(complaint)
    assert {e.correlation_id for e in every} == {complaint.correlation_id}
    assert {e.tracking_number for e in every} == {complaint.tracking_number}
    # the internal note is in no event, on any topic
    rows = await f.conn.fetch("SELECT topic, payload FROM followup.outbox")
    assert rows and not any(b"Bappeda" in bytes(r["payload"]) for r in rows)
    assert {r["topic"] for r in rows} == {COMPLAINTS.name, jurisdiction_topic("18.71"),
                                          agency_stream("18.71", "umum.18.71")}


async def test_the_status_can_be_rebuilt_from_the_lifecycle_stream_alone(followup):
    """Every state change is an event: folding the stream gives the status the service holds."""
    f = followup
    statuses = {
        "complaint.routed": "routed", "complaint.acknowledged": "acknowledged", "complaint.responded": "responded",
        "complaint.reporter_replied": "reporter_replied", "complaint.closed": "closed",
        "complaint.reopened": "reopened", "complaint.held": "held",
    }
    complaint = await f.route("18.01", at=at(7))
    f.clock.set(at(8))
    await f.command(complaint, AcknowledgeComplaint(agency_id="umum.18.01"))
    await f.command(complaint, RespondToComplaint(agency_id="umum.18.01", text="Sudah ditangani."))
    await f.command(complaint, ReplyToResponse(text="Terima kasih, tetapi masih ada satu lubang."))
    stream = [complaint, *await f.events(complaint)]
    status = None
    for event in stream:
        status = statuses.get(event.event_type, status)
    assert status == await f.status(complaint) == "reporter_replied"
