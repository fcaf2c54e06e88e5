"""``complaint.routed`` a batch at a time (issue 17): the consumer hands ``open_cases`` each run of
routed events, and the new complaints among them (the common case under load: a first routing) are
opened in a few set-based statements for the whole run instead of about nine per complaint.

A segment of the run holds each complaint at most once. Its complaints are locked in one statement;
the unknown ones are inserted with their follow-up stage and deadline in one, their timers (deadline,
warning, hard cap) in one and their history steps (routed, deadline set) in one. Each one's
``complaint.deadline_set`` is emitted inside its event's ``tx.scope()`` (the consumer writes the outbox
rows in one statement at the end). A complaint already known (routed again, after triage or a forward)
takes ``service.open_case``, after the new cases before it are written, so every event still takes
effect in record order. The rows, timers, history and events are those ``service.open_case`` makes one
event at a time (``effects.clock_timers``, ``hard_cap_timer`` and ``deadline_set`` are shared).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from lapor_followup import repository, service
from lapor_followup.context import Context
from lapor_followup.effects import Case, clock_timers, deadline_set, hard_cap_at, hard_cap_timer, ids_of
from lapor_followup.states import Status
from lapor_followup.workcalendar import zone_of
from lapor_shared.consumer import Tx
from lapor_shared.events import Envelope
from lapor_shared.events.lifecycle import ComplaintRouted
from lapor_shared.logging import get_logger
from lapor_shared.runs import segments

log = get_logger(component="followup")


async def open_cases(txs: Sequence[Tx], *, ctx: Context) -> None:
    """Every ``complaint.routed`` of a run, in record order: split where a complaint comes again."""
    for segment in segments(txs, key=lambda tx: tx.event.complaint_id):
        await _open_segment(segment, ctx)


async def _open_segment(txs: Sequence[Tx], ctx: Context) -> None:
    """Events of distinct complaints: new ones set-based, known ones one by one, in order."""
    if not txs:
        return
    ids = [e.complaint_id for e in (tx.event for tx in txs) if _has_ids(e) and e.complaint_id is not None]
    known = await repository.lock_complaints(txs[0].conn, ids) if ids else {}
    new: list[Tx] = []
    for tx in txs:
        envelope = tx.event
        if _has_ids(envelope) and envelope.complaint_id not in known:
            new.append(tx)
            continue
        await _open_new(new, ctx)
        new = []
        with tx.scope():
            await service.open_case(tx, envelope, ctx=ctx)
    await _open_new(new, ctx)


async def _open_new(txs: Sequence[Tx], ctx: Context) -> None:
    """Open the cases of complaints locked and found unknown: two statements however many."""
    if not txs:
        return
    conn = txs[0].conn
    planned = [_new_case(ctx, tx.event) for tx in txs]
    cases = await repository.insert_complaints(conn, [row for row, _due in planned])
    if len(cases) != len(planned):  # inserted meanwhile by another transaction: one by one sorts it out
        raise RuntimeError("a complaint of the batch was inserted concurrently")
    opened: list[tuple[Tx, Case, datetime]] = []
    timers: list[dict[str, Any]] = []
    for tx, (row, due) in zip(txs, planned, strict=True):
        case = cases[row["complaint_id"]]
        at = tx.event.occurred_at
        timers += clock_timers(ctx, case, stage="follow_up", owner=case["agency_id"], due=due, since=at,
                               working_days=case["stage_working_days"])
        cap = hard_cap_timer(ctx, case, at=at)
        if cap is not None:
            timers.append(cap)
        opened.append((tx, case, due))
    steps: list[dict[str, Any]] = []
    for tx, case, due in opened:
        envelope = tx.event
        at, owner = envelope.occurred_at, case["agency_id"]
        payload, facts = deadline_set(ctx, case, stage="follow_up", owner=owner, due=due,
                                      working_days=case["stage_working_days"])
        with tx.scope():
            emitted = await tx.emit(payload, **ids_of(case), occurred_at=at)
            log.info("deadline_set", stage="follow_up", due_at=due.isoformat(),
                     working_days=case["stage_working_days"], policy_version=payload.policy_version)
            log.info("case_opened", agency_id=owner, policy_version=case["policy_version"])
        steps.append(_step(case, envelope.event_id, "complaint.routed", at, owner,
                           {"agency_name": case["agency_name"]}))
        steps.append(_step(case, emitted.event_id, payload.event_type, at, owner, facts))
    await repository.add_timers_and_histories(conn, timers, steps)


def _new_case(ctx: Context, envelope: Envelope[Any]) -> tuple[dict[str, Any], datetime]:
    """The row of a complaint routed for the first time, with its follow-up clock, and its deadline as the
    calendar gives it (the row keeps it in UTC; the event and history say it in the complaint's zone)."""
    routed: ComplaintRouted = envelope.payload
    at = envelope.occurred_at
    policy = ctx.policies.for_new_complaint(at, routed.report_type)
    jurisdiction = routed.agency.jurisdiction_code
    row: dict[str, Any] = dict(
        complaint_id=envelope.complaint_id, tracking_number=envelope.tracking_number,
        correlation_id=envelope.correlation_id, report_type=routed.report_type.value,
        policy_version=policy.version, anonymous=routed.anonymous, confidential=routed.confidential,
        title=routed.title, category=routed.category, route_count=routed.route_count,
        status=Status.ROUTED.value, routed_at=at, hard_cap_at=hard_cap_at(ctx, policy.hard_cap_days, at, jurisdiction),
        **service.agency_columns(routed.agency),
    )
    working_days = ctx.policy_of(row).follow_up
    due = ctx.calendar.due_at(at, working_days, zone_of(jurisdiction))
    row.update(stage="follow_up", due_at=due, stage_working_days=working_days)
    return row, due


def _step(case: Case, event_id: UUID, event_type: str, at: datetime, agency_id: str | None,
          facts: dict[str, Any]) -> dict[str, Any]:
    return {"complaint_id": case["complaint_id"], "event_id": event_id, "event_type": event_type,
            "occurred_at": at, "status": case["status"], "agency_id": agency_id, "facts": facts}


def _has_ids(envelope: Envelope[Any]) -> bool:
    return envelope.complaint_id is not None and envelope.tracking_number is not None
