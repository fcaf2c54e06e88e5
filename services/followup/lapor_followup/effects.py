"""The building blocks every use case and timer is made of: emit an event on the complaint's stream
(with the complaint's own ids), record it in the history, start and stop clocks, escalate, close.

Every event followup emits carries the complaint's ``complaint_id``, ``tracking_number``,
``jurisdiction_code`` (the responsible agency's: the event also goes to that jurisdiction topic) and the
story's ``correlation_id``, whether a message or a timer caused it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from lapor_followup import repository
from lapor_followup.context import Context
from lapor_followup.escalation import escalation_chain, escalation_target
from lapor_followup.states import Status
from lapor_followup.workcalendar import zone_name, zone_of
from lapor_shared.consumer import Tx
from lapor_shared.events import Envelope, Payload
from lapor_shared.events.lifecycle import (
    ActionRejected,
    CloseReason,
    ComplaintClosed,
    ComplaintEscalated,
    DeadlineSet,
    HistoryItem,
    Stage,
)
from lapor_shared.events.values import AgencyLevel, AgencyRef, Reason
from lapor_shared.logging import get_logger

log = get_logger(component="followup")

Case = dict[str, Any]


def ids_of(case: Case) -> dict[str, Any]:
    """The envelope fields of every event about ``case``: its own ids, its responsible agency (none while
    it waits for triage, whose desk the case's office then stands for) and that agency's jurisdiction,
    whether it is rahasia, and its story's correlation id."""
    return {
        "complaint_id": case["complaint_id"], "tracking_number": case["tracking_number"],
        "jurisdiction_code": case["jurisdiction_code"], "correlation_id": case.get("correlation_id"),
        "agency_id": None if never_routed(case) else case["agency_id"], "confidential": case["confidential"],
    }


def never_routed(case: Case) -> bool:
    """Still with the triage desk (waiting, held or archived there): no agency has had it yet."""
    return case["hard_cap_at"] is None


async def record(
    tx: Tx, case: Case, *, event_id: Any, event_type: str, at: datetime, agency_id: str | None = None,
    facts: dict[str, Any] | None = None,
) -> None:
    """One step in the complaint's history, with the status it left the complaint in."""
    await repository.add_history(
        tx.conn, complaint_id=case["complaint_id"], event_id=event_id, event_type=event_type, occurred_at=at,
        status=case["status"], agency_id=agency_id, facts=facts or {},
    )


async def publish(
    tx: Tx, case: Case, payload: Payload, *, at: datetime, agency_id: str | None = None,
    facts: dict[str, Any] | None = None,
) -> Envelope[Any]:
    """Emit ``payload`` and record it in the history (call after the state change it reports)."""
    envelope = await tx.emit(payload, **ids_of(case), occurred_at=at)
    await record(tx, case, event_id=envelope.event_id, event_type=payload.event_type, at=at,
                 agency_id=agency_id, facts=facts)
    return envelope


async def reject(tx: Tx, command: Envelope[Any], case: Case | None, reason: Reason, *, at: datetime) -> None:
    """Refuse a command: ``complaint.action_rejected`` with the reason, nothing else changes."""
    payload = ActionRejected(command_type=command.event_type, command_id=command.event_id, reason=reason)
    if case is not None:
        await tx.emit(payload, **ids_of(case), occurred_at=at)
    else:  # no complaint of ours: the complaint stream only, whatever jurisdiction the command claimed
        await tx.emit(payload, caused_by=None, complaint_id=command.complaint_id,
                      tracking_number=command.tracking_number, occurred_at=at,
                      correlation_id=command.correlation_id, causation_id=command.event_id)
    log.info("action_rejected", command_type=command.event_type, code=reason.code)


def agency_ref(case: Case) -> AgencyRef:
    return AgencyRef(
        agency_id=case["agency_id"], name=case["agency_name"], level=AgencyLevel(case["agency_level"]),
        jurisdiction_code=case["jurisdiction_code"],
    )


def agency_name(case: Case, agency_id: str) -> str:
    """The name of the responsible agency or of an office the complaint was escalated to."""
    if agency_id == case["agency_id"]:
        return case["agency_name"]
    for office in escalation_chain(case["jurisdiction_code"]):
        if office.agency_id == agency_id:
            return office.name
    return agency_id


async def start_clock(
    tx: Tx, ctx: Context, case: Case, *, stage: Stage, working_days: int, since: datetime, at: datetime,
) -> Case:
    """Start ``stage``'s clock: ``working_days`` from ``since`` on the calendar, a warning before it,
    the complaint's current deadline, and ``complaint.deadline_set``."""
    due = ctx.calendar.due_at(since, working_days, zone_of(case["jurisdiction_code"]))
    owner = None if stage == "auto_close" else case["agency_id"]
    await repository.add_timers(tx.conn, clock_timers(ctx, case, stage=stage, owner=owner, due=due, since=since,
                                                      working_days=working_days))
    case = await repository.update_complaint(
        tx.conn, case["complaint_id"], stage=stage, due_at=due, stage_working_days=working_days
    )
    payload, facts = deadline_set(ctx, case, stage=stage, owner=owner, due=due, working_days=working_days)
    await publish(tx, case, payload, at=at, agency_id=owner, facts=facts)
    log.info("deadline_set", stage=stage, due_at=due.isoformat(), working_days=working_days,
             policy_version=payload.policy_version)
    return case


def deadline_set(
    ctx: Context, case: Case, *, stage: Stage, owner: str | None, due: datetime, working_days: int
) -> tuple[DeadlineSet, dict[str, Any]]:
    """``complaint.deadline_set`` for a clock just started, and the facts its history step keeps (shared by
    ``start_clock`` and the batch that opens new cases, ``opening.py``)."""
    policy = ctx.policy_of(case)
    zone = zone_of(case["jurisdiction_code"])
    payload = DeadlineSet(stage=stage, agency_id=owner, due_at=due, working_days=working_days,
                          policy_version=policy.version)
    facts = {"stage": stage, "due_at": due.isoformat(), "working_days": working_days, "zone": zone_name(zone),
             "agency_name": case["agency_name"], "policy_version": policy.version}
    return payload, facts


def clock_timers(
    ctx: Context, case: Case, *, stage: str, owner: str | None, due: datetime, since: datetime, working_days: int,
) -> list[dict[str, Any]]:
    """A stage's deadline timer and, when the policy warns and there is time to, its warning timer (rows
    for ``repository.add_timers``)."""
    policy = ctx.policy_of(case)
    common = {"complaint_id": case["complaint_id"], "stage": stage, "agency_id": owner,
              "policy_version": policy.version, "working_days": working_days}
    timers = [{**common, "kind": "deadline", "due_at": due}]
    if policy.warning_before > 0:
        warning_at = ctx.calendar.warning_at(due, zone_of(case["jurisdiction_code"]), policy.warning_before)
        if since < warning_at < due:
            timers.append({**common, "kind": "warning", "due_at": warning_at, "target_due_at": due})
    return timers


async def move_deadline(tx: Tx, ctx: Context, case: Case, *, due: datetime, since: datetime) -> None:
    """Replace the running clock's deadline and warning timers (an extension)."""
    await repository.cancel_timers(tx.conn, case["complaint_id"], at=since, stages=[case["stage"]])
    await repository.add_timers(tx.conn, clock_timers(ctx, case, stage=case["stage"], owner=case["agency_id"],
                                                      due=due, since=since, working_days=case["stage_working_days"]))


async def stop_clocks(tx: Tx, case: Case, *, at: datetime, keep_hard_cap: bool = True) -> Case:
    """Cancel the running clocks (the hard cap keeps running unless told otherwise)."""
    stages = ["verification", "follow_up", "auto_close"] + ([] if keep_hard_cap else ["resolution"])
    await repository.cancel_timers(tx.conn, case["complaint_id"], at=at, stages=stages)
    return await repository.update_complaint(tx.conn, case["complaint_id"], stage=None, due_at=None,
                                             stage_working_days=None)


async def arm_hard_cap(tx: Tx, ctx: Context, case: Case, *, at: datetime) -> None:
    """Perpres 76/2013: resolution within ``hard_cap_days`` calendar days of the first routing."""
    timer = hard_cap_timer(ctx, case, at=at)
    if timer is None:
        return
    await repository.cancel_timers(tx.conn, case["complaint_id"], at=at, stages=["resolution"])
    await repository.add_timer(tx.conn, **timer)


def hard_cap_timer(ctx: Context, case: Case, *, at: datetime) -> dict[str, Any] | None:
    """The hard cap's timer (stage resolution), None when the complaint has no hard cap or it passed."""
    if case["hard_cap_at"] is None or case["hard_cap_at"] <= at:
        return None
    zone = zone_of(case["jurisdiction_code"])
    start = ctx.calendar.start_day(case["routed_at"], zone)
    working_days = ctx.calendar.working_days_between(start, case["hard_cap_at"].astimezone(zone).date())
    return {"complaint_id": case["complaint_id"], "stage": "resolution", "kind": "deadline",
            "agency_id": case["agency_id"], "due_at": case["hard_cap_at"], "policy_version": case["policy_version"],
            "working_days": working_days}


def hard_cap_at(ctx: Context, policy_days: int, routed_at: datetime, jurisdiction_code: str) -> datetime:
    zone = zone_of(jurisdiction_code)
    return ctx.calendar.end_of(routed_at.astimezone(zone).date() + timedelta(days=policy_days), zone)


async def escalate(tx: Tx, ctx: Context, case: Case, *, level: int, at: datetime) -> Case:
    """Move the complaint to escalation ``level``: the office there may act, and a timer escalates it
    again if it is still ignored. The responsible agency still owes the answer."""
    target = escalation_target(case["jurisdiction_code"], level)
    if target is None:
        log.info("escalation_top_reached", level=level - 1)
        return case
    chain = escalation_chain(case["jurisdiction_code"])
    source = agency_ref(case) if level == 1 else chain[level - 2]
    policy = ctx.policy_of(case)
    has_next = escalation_target(case["jurisdiction_code"], level + 1) is not None
    next_due = ctx.calendar.due_at(at, policy.escalation, zone_of(target.jurisdiction_code)) if has_next else None
    if next_due is not None:
        await repository.add_timer(
            tx.conn, complaint_id=case["complaint_id"], stage="follow_up", kind="escalation",
            agency_id=target.agency_id, due_at=next_due, escalation_level=level, policy_version=policy.version,
            working_days=policy.escalation,
        )
    case = await repository.update_complaint(
        tx.conn, case["complaint_id"], escalation_level=level,
        escalated_to=[office.agency_id for office in chain[:level]],
    )
    history = [
        HistoryItem(occurred_at=h["occurred_at"], event_type=h["event_type"], status=h["status"],
                    agency_id=h["agency_id"])
        for h in await repository.history_of(tx.conn, case["complaint_id"])
    ]
    await publish(
        tx, case,
        ComplaintEscalated(
            from_agency=source, to_agency=target, stage="follow_up", escalation_level=level, due_at=next_due,
            policy_version=policy.version, working_days=policy.escalation if next_due else None, history=history,
        ),
        at=at, agency_id=target.agency_id,
        facts={"level": level, "from_agency_name": source.name, "to_agency_name": target.name,
               "due_at": next_due.isoformat() if next_due else None},
    )
    log.info("complaint_escalated", level=level, to_agency_id=target.agency_id)
    return case


async def close(
    tx: Tx, ctx: Context, case: Case, *, reason: CloseReason, by: str, at: datetime,
    facts: dict[str, Any] | None = None,
) -> Case:
    """Close the complaint (selesai): every clock stops; the reporter may reopen within the window
    after a resolution or an auto-close."""
    await repository.cancel_timers(tx.conn, case["complaint_id"], at=at)
    policy = ctx.policy_of(case)
    reopen_until = (
        ctx.calendar.due_at(at, policy.reopen_window, zone_of(case["jurisdiction_code"]))
        if reason in ("resolved", "auto_close") else None
    )
    case = await repository.update_complaint(
        tx.conn, case["complaint_id"], status=Status.CLOSED.value, closed_at=at, close_reason=reason,
        reopen_until=reopen_until, stage=None, due_at=None, stage_working_days=None, escalation_level=0,
        escalated_to=[],
    )
    await publish(
        tx, case, ComplaintClosed(reason=reason, by=by, reopen_until=reopen_until), at=at,
        agency_id=case["agency_id"],
        facts={"reason": reason, "agency_name": case["agency_name"], **(facts or {}),
               "reopen_until": reopen_until.isoformat() if reopen_until else None},
    )
    log.info("complaint_closed", reason=reason)
    return case
