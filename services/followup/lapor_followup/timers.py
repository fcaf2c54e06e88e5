"""What a due timer does, run by the poller inside the transaction that claimed it.

| kind       | stage        | effect while still relevant                                             |
|------------|--------------|--------------------------------------------------------------------------|
| warning    | any          | ``complaint.deadline_warning`` (one working day before the deadline)      |
| deadline   | verification | ``complaint.deadline_breached`` (triage is late)                         |
| deadline   | follow_up    | ``deadline_breached`` + ``escalated`` to level 1, with a level-1 timer     |
| escalation | follow_up    | still ignored at level L: ``deadline_breached`` + ``escalated`` to L + 1   |
| deadline   | auto_close   | ``complaint.closed`` (auto_close): no reply from the reporter              |
| deadline   | resolution   | ``deadline_breached`` (stage resolution): the 60-day hard cap passed       |

Every state change cancels the timers it makes pointless, so a live due timer is normally relevant;
each effect still checks the complaint's state and returns ``obsolete`` (and emits nothing) if not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from lapor_followup.context import Context
from lapor_followup.effects import Case, close, escalate, publish
from lapor_followup.states import OWED, Status
from lapor_shared.consumer import Tx
from lapor_shared.events.lifecycle import DeadlineBreached, DeadlineWarning
from lapor_shared.logging import get_logger

log = get_logger(component="followup.timers")

Outcome = Literal["applied", "obsolete"]


async def fire(tx: Tx, ctx: Context, case: Case, timer: dict[str, Any], now: datetime) -> Outcome:
    kind, stage = timer["kind"], timer["stage"]
    if kind == "warning":
        return await _warn(tx, case, timer, now)
    if kind == "escalation":
        return await _escalate_again(tx, ctx, case, timer, now)
    if stage == "follow_up":
        return await _follow_up_missed(tx, ctx, case, timer, now)
    if stage == "verification":
        if case["status"] != Status.TRIAGE.value:
            return "obsolete"
        await _breach(tx, case, timer, now)
        return "applied"
    if stage == "auto_close":
        if case["status"] != Status.RESPONDED.value:
            return "obsolete"
        await close(tx, ctx, case, reason="auto_close", by="system", at=now,
                    facts={"working_days": timer["working_days"]})
        return "applied"
    if stage == "resolution":
        if case["status"] in (Status.CLOSED.value, Status.HELD.value):
            return "obsolete"
        await _breach(tx, case, timer, now)
        return "applied"
    log.warning("timer_of_unknown_stage", stage=stage, kind=kind)
    return "obsolete"


async def _warn(tx: Tx, case: Case, timer: dict[str, Any], now: datetime) -> Outcome:
    if case["stage"] != timer["stage"] or case["due_at"] != timer["target_due_at"] or now >= case["due_at"]:
        return "obsolete"  # the clock moved or stopped, or the deadline itself is already due
    await publish(
        tx, case,
        DeadlineWarning(stage=timer["stage"], agency_id=timer["agency_id"], due_at=timer["target_due_at"],
                        policy_version=timer["policy_version"], working_days=timer["working_days"]),
        at=now, agency_id=timer["agency_id"],
        facts={"stage": timer["stage"], "due_at": timer["target_due_at"].isoformat()},
    )
    return "applied"


async def _follow_up_missed(tx: Tx, ctx: Context, case: Case, timer: dict[str, Any], now: datetime) -> Outcome:
    if case["status"] not in OWED or case["stage"] != "follow_up" or case["due_at"] != timer["due_at"]:
        return "obsolete"
    await _breach(tx, case, timer, now)
    await escalate(tx, ctx, case, level=1, at=now)
    return "applied"


async def _escalate_again(tx: Tx, ctx: Context, case: Case, timer: dict[str, Any], now: datetime) -> Outcome:
    if case["status"] not in OWED or case["escalation_level"] != timer["escalation_level"]:
        return "obsolete"
    await _breach(tx, case, timer, now)
    await escalate(tx, ctx, case, level=timer["escalation_level"] + 1, at=now)
    return "applied"


async def _breach(tx: Tx, case: Case, timer: dict[str, Any], now: datetime) -> None:
    """The deadline passed and is still owed. ``agency_id``: the responsible agency, which still owes
    the answer (for an escalation step, the office that also let it pass is in the escalation event)."""
    agency_id = case["agency_id"] if timer["stage"] != "auto_close" else None
    await publish(
        tx, case,
        DeadlineBreached(stage=timer["stage"], agency_id=agency_id, due_at=timer["due_at"],
                         policy_version=timer["policy_version"], working_days=timer["working_days"]),
        at=now, agency_id=agency_id,
        facts={"stage": timer["stage"], "due_at": timer["due_at"].isoformat(), "agency_name": case["agency_name"],
               "escalation_level": timer["escalation_level"], "kind": timer["kind"]},
    )
    log.info("deadline_breached", stage=timer["stage"], escalation_level=timer["escalation_level"])
