"""The view consumer takes a run of ``lapor.complaints`` events at once (``view.View``): the public view
and the reporter's view come out as the events would leave them one at a time, with a number of
statements that does not grow with the number of complaints."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lapor_gateway import reporter_repository as rrepo
from lapor_gateway.timeline import Timeline
from lapor_gateway.view import View
from lapor_shared.events import Envelope, Payload
from lapor_shared.events import lifecycle as lc
from lapor_shared.events.values import Evidence
from lapor_shared.testing.factories import agency_ref, complaint_accepted, complaint_routed, envelope, reason
from lapor_shared.testing.statements import CountingConnection

from .batching import gateway_schema, txs

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
EVIDENCE = Evidence(object_id="0123456789abcdef0123456789abcdef.jpg", media_type="image/jpeg", size_bytes=10,
                    sha256="a" * 64)


class Story:
    """One complaint's events, at minutes after T0."""

    def __init__(self, **accepted: Any) -> None:
        self.complaint_id = uuid.uuid4()
        self.number = f"LPR-{uuid.uuid4().hex[:8]}"
        self.accepted_payload = complaint_accepted(**accepted)

    def event(self, payload: Payload, minute: int, **fields: Any) -> Envelope[Any]:
        return envelope(payload, complaint_id=self.complaint_id, tracking_number=self.number,
                        occurred_at=T0 + timedelta(minutes=minute), jurisdiction_code="18.71", **fields)

    def accepted(self, minute: int = 0) -> Envelope[Any]:
        return self.event(self.accepted_payload, minute)

    def routed(self, minute: int, name: str = "Dinas PU") -> Envelope[Any]:
        return self.event(complaint_routed(agency=agency_ref(name=name)), minute)

    def deadline(self, minute: int, days: int) -> Envelope[Any]:
        return self.event(lc.DeadlineSet(stage="follow_up", agency_id="a-1", due_at=T0 + timedelta(days=days),
                                         working_days=days, policy_version="v1"), minute)


def lifecycle_of_four_complaints(command: uuid.UUID, reply: uuid.UUID) -> list[Envelope[Any]]:
    """Several complaints interleaved, with a duplicate, events out of order and reporter commands' outcomes."""
    a, b = Story(), Story()
    c = Story(confidential=True, evidence=[EVIDENCE])
    d = Story(evidence=[EVIDENCE])
    d_accepted = d.accepted()
    ack = lc.ComplaintAcknowledged(agency_id="a-1")
    held = lc.ComplaintHeld(reason=reason(), by="admin")
    closed = lc.ComplaintClosed(reason="resolved", by="agency", reopen_until=T0 + timedelta(days=10))
    return [
        a.accepted(), b.routed(2),  # b's routing before its acceptance
        c.accepted(), d_accepted, a.routed(1),
        b.accepted(), d_accepted,  # the same event twice
        c.routed(1, "Inspektorat"), a.deadline(2, 5), b.deadline(3, 5),
        d.routed(1), c.event(ack, 2), a.event(ack, 3),
        b.event(lc.DeadlineExtended(stage="follow_up", agency_id="a-1", due_at=T0 + timedelta(days=9),
                                    reason="survei"), 5),
        b.deadline(4, 2),  # older than the extension: changes neither view's deadline
        a.event(lc.ComplaintResponded(agency_id="a-1", text="Sudah diperbaiki.", evidence=[EVIDENCE]), 4),
        c.event(held, 3), d.event(lc.ComplaintNeedsTriage(
            triage_jurisdiction="18", reason=reason(), report_type="pengaduan", title="t", description="d" * 30,
            location=d.accepted_payload.location, anonymous=False, confidential=False), 2),
        c.event(lc.ComplaintReopened(by="admin"), 4), a.event(closed, 5),
        a.event(lc.ComplaintRated(rating=4, comment="Baik"), 6, causation_id=command),
        c.event(lc.ComplaintEscalated(from_agency=agency_ref(), to_agency=agency_ref(name="Provinsi"),
                                      stage="follow_up", escalation_level=1), 5),
        d.event(lc.ComplaintReporterReplied(text="Belum selesai."), 3, causation_id=reply),
        d.event(lc.ActionRejected(command_type="reporter.rate", command_id=reply, reason=reason()), 4),
        c.routed(0, "Terlambat"),  # an old routing after newer statuses
    ]


async def rows(pool: Any) -> dict[str, Any]:
    view = await pool.fetch("SELECT * FROM complaint_view ORDER BY complaint_id")
    cases = await pool.fetch("SELECT * FROM reporter_cases ORDER BY complaint_id")
    steps = await pool.fetch("SELECT event_id, complaint_id, occurred_at, kind, facts FROM reporter_timeline"
                             " ORDER BY complaint_id, occurred_at, seq")
    actions = await pool.fetch("SELECT command_id, outcome, reason FROM reporter_actions ORDER BY command_id")
    return {"complaint_view": [dict(r) for r in view],
            "reporter_cases": [{k: v for k, v in r.items() if k != "updated_at"} for r in cases],
            "reporter_timeline": [dict(r) for r in steps], "reporter_actions": [dict(r) for r in actions]}


async def pending_commands(pool: Any, events: list[Envelope[Any]], *commands: uuid.UUID) -> None:
    complaint_id = next(e.complaint_id for e in events if e.causation_id == commands[0])
    for command in commands:
        await rrepo.insert_action(pool, command_id=command, complaint_id=complaint_id, command_type="reporter.rate",
                                  source="web", fingerprint="-")


def view() -> View:
    return View(Timeline(notify_channel="lapor_answers_gateway", short_code="1708"))


async def test_a_run_taken_at_once_leaves_both_views_as_its_events_one_at_a_time_would(database_url):
    command, reply = uuid.uuid4(), uuid.uuid4()
    events = lifecycle_of_four_complaints(command, reply)
    async with gateway_schema(database_url, "one_by_one") as single, gateway_schema(database_url, "batched") as many:
        for pool in (single, many):
            await pending_commands(pool, events, command)
            await rrepo.insert_action(pool, command_id=reply, complaint_id=events[3].complaint_id,
                                      command_type="reporter.reply", source="web", fingerprint="-")
        for event in events:
            async with single.acquire() as conn, conn.transaction():
                await view().handle(txs(conn, [event]))
        async with many.acquire() as conn, conn.transaction():
            await view().handle(txs(conn, events))

        one_at_a_time, at_once = await rows(single), await rows(many)

    assert one_at_a_time == at_once
    assert len(at_once["complaint_view"]) == 4 and len(at_once["reporter_timeline"]) >= 20
    assert {a["outcome"] for a in at_once["reporter_actions"]} == {"accepted"}
    # the event-time guards held: neither the old routing nor the old deadline undid a newer one
    assert "Terlambat" not in {r["agency_name"] for r in at_once["complaint_view"]}
    assert T0 + timedelta(days=2) not in {r["expected_at"] for r in at_once["complaint_view"]}


async def test_a_rahasia_complaints_content_and_files_stay_out_of_the_public_view_in_a_batch(database_url):
    hidden, shown = Story(confidential=True, evidence=[EVIDENCE]), Story(evidence=[EVIDENCE])
    async with gateway_schema(database_url) as pool, pool.acquire() as conn, conn.transaction():
        await view().handle(txs(conn, [hidden.accepted(), shown.accepted(), hidden.routed(1), shown.routed(1)]))
        rahasia = await conn.fetchrow("SELECT * FROM complaint_view WHERE complaint_id = $1", hidden.complaint_id)
        public = await conn.fetchrow("SELECT * FROM complaint_view WHERE complaint_id = $1", shown.complaint_id)

    assert rahasia["confidential"] and rahasia["evidence"] == []
    assert (rahasia["title"], rahasia["description"], rahasia["address"], rahasia["media_url"]) == (None,) * 4
    assert public["title"] == shown.accepted_payload.title and public["evidence"] != []


@pytest.mark.parametrize("n", [3, 25])
async def test_n_complaints_accepted_routed_and_given_a_deadline_in_one_run_take_six_statements(database_url, n):
    stories = [Story() for _ in range(n)]
    events = [s.accepted() for s in stories] + [s.routed(1) for s in stories] + [s.deadline(2, 5) for s in stories]
    async with gateway_schema(database_url) as pool, pool.acquire() as raw, raw.transaction():
        conn = CountingConnection(raw)
        await view().handle(txs(conn, events))

        assert len(conn.statements) == 6, conn.statements
        assert await raw.fetchval("SELECT count(*) FROM reporter_timeline") == 3 * n
