"""Routed complaints a batch at a time (``opening.open_cases``): whatever the batching, the complaints,
timers, history and events are those of the per-event use case fed one event at a time, and a batch of
new complaints costs the same few statements however many it holds."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from uuid import uuid4

import pytest

from lapor_followup import opening, service
from lapor_shared import consumer as consumer_module
from lapor_shared.consumer import Batch, Consumer
from lapor_shared.events import Envelope, encode, headers_of
from lapor_shared.events.lifecycle import ComplaintForwarded, ComplaintNeedsTriage, ComplaintRouted
from lapor_shared.events.values import Location, ReportType
from lapor_shared.testing.clock import ManualClock
from lapor_shared.testing.factories import complaint_routed, envelope, reason, routed_envelope
from lapor_shared.testing.statements import CountingPool
from lapor_shared.topics import COMPLAINTS

from .harness import START, WIB, FollowupHarness, office, running

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@dataclass
class Record:
    value: bytes
    offset: int
    headers: tuple[tuple[str, bytes], ...]
    topic: str = COMPLAINTS.name
    partition: int = 0
    key: bytes | None = None


def records_of(envelopes: Sequence[Envelope[Any]]) -> list[Record]:
    return [Record(encode(e), offset, tuple((k, v.encode()) for k, v in headers_of(e).items()))
            for offset, e in enumerate(envelopes)]


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2025, 7, day, hour, minute, tzinfo=WIB)


def routed_again(first: Envelope[Any], region: str, *, route_count: int, when: datetime) -> Envelope[Any]:
    """Routing's complaint.routed for ``first``'s complaint once more (to ``region``'s office)."""
    return routed_envelope(complaint_routed(agency=office(region), route_count=route_count),
                           complaint_id=first.complaint_id, tracking_number=first.tracking_number,
                           correlation_id=first.correlation_id, causation_id=first.event_id, occurred_at=when)


def story() -> tuple[list[Envelope[Any]], int]:
    """Several complaints interleaved: new ones (one anonymous and rahasia, one routed on a Friday
    afternoon), a duplicate, a re-route, a routing after triage, a forward then its routed event, a
    redelivered routing under a new event id; and how many of them are new complaints."""
    a = routed_envelope(occurred_at=at(7))
    b = routed_envelope(complaint_routed(agency=office("18.01")), occurred_at=at(7, 11))
    triage = envelope(
        ComplaintNeedsTriage(triage_jurisdiction="18", reason=reason(code="location_ambiguous"),
                             report_type=ReportType.ASPIRASI, title="Usul taman", description="Mohon taman.",
                             location=Location(), anonymous=False, confidential=False),
        producer="routing", complaint_id=uuid4(), tracking_number="LPR-TRIA-GE002", jurisdiction_code="18",
        occurred_at=at(7, 12))
    c = routed_envelope(complaint_routed(anonymous=True, confidential=True), occurred_at=at(8))
    b_again = routed_again(b, "18", route_count=2, when=at(8, 13))
    placed = routed_again(triage, "18.71", route_count=1, when=at(9))
    e = routed_envelope(complaint_routed(report_type=ReportType.ASPIRASI), occurred_at=at(9, 15))
    forward = envelope(
        ComplaintForwarded(from_agency=office("18.71"), to_agency=office("73.71"), reason=reason(code="forwarded")),
        producer="routing", caused_by=c, jurisdiction_code="73.71", occurred_at=at(10))
    c_again = routed_again(c, "73.71", route_count=2, when=at(10))
    f = routed_envelope(complaint_routed(agency=office("73.71")), occurred_at=at(11, 16, 30))
    e_redelivered = routed_again(e, "18.71", route_count=1, when=at(11, 17))
    return [a, b, triage, c, a, b_again, placed, e, forward, c_again, f, e_redelivered], 5


@asynccontextmanager
async def followup_on(infra: Any) -> AsyncIterator[FollowupHarness]:
    async with running(await infra.new_database(), ManualClock(START)) as harness:
        yield harness


def complaints_consumer(f: FollowupHarness) -> Consumer:
    return next(c for c in f.service.runtime.consumers if c.name == "followup.complaints")


def one_by_one_consumer(f: FollowupHarness) -> Consumer:
    """Routing's events through the per-event use cases, as the service took them before batches."""
    ctx = f.service.ctx
    return f.service.runtime.consumer("followup.complaints.reference", {
        ComplaintRouted: partial(service.open_case, ctx=ctx),
        ComplaintForwarded: partial(service.on_forwarded, ctx=ctx),
        ComplaintNeedsTriage: partial(service.on_needs_triage, ctx=ctx),
    })


async def outcome(f: FollowupHarness, inputs: Sequence[Envelope[Any]]) -> dict[str, list[dict[str, Any]]]:
    """Everything the events left, in the order it was written, without what is generated afresh (row
    ids, creation times, the ids of the events followup emitted and the trace headers)."""
    given = {e.event_id for e in inputs}

    def without(rows: Sequence[Any], *generated: str) -> list[dict[str, Any]]:
        return [{k: v for k, v in dict(r).items() if k not in generated} for r in rows]

    history = without(await f.conn.fetch("SELECT * FROM followup.history ORDER BY history_id"), "history_id")
    for step in history:
        step["event_id"] = step["event_id"] if step["event_id"] in given else "emitted"
    events = [{"topic": r["topic"], **{k: v for k, v in json.loads(r["payload"]).items() if k != "event_id"}}
              for r in await f.conn.fetch("SELECT topic, payload FROM followup.outbox ORDER BY id")]
    return {
        "complaints": without(await f.conn.fetch("SELECT * FROM followup.complaints ORDER BY tracking_number"),
                              "updated_at"),
        "timers": without(await f.conn.fetch("SELECT * FROM followup.timers ORDER BY timer_id"),
                          "timer_id", "created_at"),
        "history": history,
        "events": events,
    }


def batch_failures(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the consumer says when a batch's use case fails and it falls back to one by one."""
    failures: list[str] = []
    warning = consumer_module.log.warning

    def seen(event: str, **fields: Any) -> None:
        if event == "batch_failed_one_by_one":
            failures.append(str(fields.get("error")))
        warning(event, **fields)

    monkeypatch.setattr(consumer_module.log, "warning", seen)
    return failures


@pytest.mark.parametrize("batch_size", [1, 3, 12])
async def test_any_batching_of_routed_events_leaves_what_the_events_one_by_one_leave(infra, monkeypatch, batch_size):
    inputs, new_complaints = story()
    records = records_of(inputs)
    opened: list[int] = []
    open_new = opening._open_new

    async def counted(txs: Sequence[Any], ctx: Any) -> None:
        opened.extend([len(txs)] if txs else [])
        await open_new(txs, ctx)

    monkeypatch.setattr(opening, "_open_new", counted)
    failures = batch_failures(monkeypatch)

    async with followup_on(infra) as reference:
        consumer = one_by_one_consumer(reference)
        for record in records:
            await consumer.handle_batch([record])
        expected = await outcome(reference, inputs)
    async with followup_on(infra) as batched:
        consumer = complaints_consumer(batched)
        for start in range(0, len(records), batch_size):
            await consumer.handle_batch(records[start:start + batch_size])
        got = await outcome(batched, inputs)

    assert failures == []  # no batch failed: a batch holding the duplicate rolled back and went one by one
    assert sum(opened) >= new_complaints
    assert batch_size == 1 or max(opened) > 1
    assert len(expected["complaints"]) == 6 and len(expected["events"]) > 10
    for part in ("complaints", "timers", "history", "events"):
        assert got[part] == expected[part], part


async def statements_for_new_complaints(f: FollowupHarness, n: int) -> int:
    runtime = f.service.runtime
    pool = CountingPool(runtime.pool)
    consumer = Consumer("followup.complaints.counted", lambda: pool, producer=runtime.name,
                        handlers={ComplaintRouted: Batch(partial(opening.open_cases, ctx=f.service.ctx))},
                        settings=runtime.settings.delivery, outbox=runtime.outbox)
    complaints = [routed_envelope(complaint_routed(agency=office(("18.71", "18.01", "73.71")[i % 3])),
                                  occurred_at=at(7 + i % 5, 9 + i % 8)) for i in range(n)]
    await consumer.handle_batch(records_of(complaints))
    opened = await f.conn.fetchval("SELECT count(*) FROM followup.complaints WHERE complaint_id = ANY($1::uuid[])",
                                   [e.complaint_id for e in complaints])
    assert opened == n
    return len(pool.statements)


async def test_a_batch_of_new_routed_complaints_costs_the_same_few_statements_however_many_it_holds(followup):
    few = await statements_for_new_complaints(followup, 2)
    many = await statements_for_new_complaints(followup, 30)

    # the lock, the complaints, their timers with their history, the outbox with the inbox rows
    assert few == many == 4


async def test_the_events_of_a_batch_name_their_own_complaint_cause_and_story(followup):
    complaints = [routed_envelope(occurred_at=at(7, 9 + i)) for i in range(3)]

    await complaints_consumer(followup).handle_batch(records_of(complaints))

    for routed in complaints:
        [deadline] = await followup.events(routed, "complaint.deadline_set")
        assert (deadline.causation_id, deadline.correlation_id) == (routed.event_id, routed.correlation_id)
        assert deadline.tracking_number == routed.tracking_number
        assert [h["event_type"] for h in await followup.conn.fetch(
            "SELECT event_type FROM followup.history WHERE complaint_id = $1 ORDER BY history_id",
            routed.complaint_id)] == ["complaint.routed", "complaint.deadline_set"]
