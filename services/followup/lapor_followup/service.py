"""Followup's use cases, the only entry of its handlers: routing's events (a complaint reaches an agency,
moves to another, waits for triage, is held or archived at triage) and the agency, reporter and admin
commands (``handle_command``; what each command does is in ``actions.py``).

Each takes ``(tx, envelope)`` (the context is bound by handlers.py) and runs inside the consumer's
transaction, so its state change, its outgoing events and the inbox row commit together. ``complaint.routed``
reaches ``open_case`` through ``opening.open_cases``, which opens a batch's new cases set-based itself. Followup does
not route: it records what routing decided and starts or re-targets its clocks.
"""

from __future__ import annotations

from typing import Any

from lapor_followup import actions, repository
from lapor_followup.context import Context
from lapor_followup.effects import (
    Case,
    arm_hard_cap,
    close,
    hard_cap_at,
    record,
    reject,
    start_clock,
    stop_clocks,
)
from lapor_followup.escalation import general_office
from lapor_followup.states import Status, check
from lapor_shared import binding
from lapor_shared.consumer import Tx
from lapor_shared.events import Envelope
from lapor_shared.events.lifecycle import (
    ComplaintArchived,
    ComplaintForwarded,
    ComplaintHeld,
    ComplaintNeedsTriage,
    ComplaintRouted,
)
from lapor_shared.events.values import AgencyRef, Reason, reason
from lapor_shared.logging import get_logger

log = get_logger(component="followup")

COMMANDS = tuple(actions.BY_COMMAND)
"""Every command followup handles (``handle_command``)."""


# --- agency, reporter and admin commands ---------------------------------------------------------------

async def handle_command(tx: Tx, envelope: Envelope[Any], *, ctx: Context) -> None:
    """Every agency, reporter and admin command: find the complaint, check the admin's scope, the command
    against the state machine and the agency's right to act, then apply its action (``actions.py``). A
    command that cannot be done becomes ``complaint.action_rejected`` with the reason; nothing else changes
    and nothing is raised. That the sender is who the payload says is checked before (``binding.bound``)."""
    at = ctx.clock.now()
    if envelope.complaint_id is None:
        await reject(tx, envelope, None, reason(
            "missing_complaint_id", field="complaint_id",
            message_id="Perintah harus menyebutkan complaint_id laporan.",
            message_en="A command must carry the complaint id in its envelope."), at=at)
        return
    case = await repository.lock_complaint(tx.conn, envelope.complaint_id)
    if case is None:
        await reject(tx, envelope, None, reason(
            "unknown_complaint", field="complaint_id", message_id="Laporan tidak ditemukan.",
            message_en="No such complaint."), at=at)
        return
    if envelope.event_type.startswith("admin.") and await binding.refused_outside_scope(
            tx, envelope, case["jurisdiction_code"]):
        return
    problem = check(envelope.event_type, Status(case["status"]))
    if problem is None and envelope.event_type.startswith("agency."):
        problem = _authorise(case, envelope.payload.agency_id)
    if problem is None:
        problem = await actions.BY_COMMAND[type(envelope.payload)](tx, ctx, case, envelope, at)
    if problem is not None:
        await reject(tx, envelope, case, problem, at=at)
        return
    log.info("action_applied", command_type=envelope.event_type)


def _authorise(case: Case, agency_id: str) -> Reason | None:
    if agency_id == case["agency_id"] or agency_id in (case["escalated_to"] or []):
        return None
    return reason(
        "not_responsible_agency", field="payload.agency_id",
        message_id="Instansi ini tidak bertanggung jawab atas laporan ini.",
        message_en="This agency is neither responsible for the complaint nor an office it was escalated to.",
    )


# --- routing's events ----------------------------------------------------------------------------------

async def open_case(tx: Tx, envelope: Envelope[Any], *, ctx: Context) -> None:
    """A complaint reached an agency: record it and start the follow-up clock (or re-target the clocks
    when routing sent it to another agency, ``route_count`` > 1). The consumer hands routed events to
    ``opening.open_cases``, which opens new cases a batch at a time and calls this for the others."""
    routed: ComplaintRouted = envelope.payload
    if envelope.complaint_id is None or envelope.tracking_number is None:
        log.warning("routed_without_ids_ignored")
        return
    at = envelope.occurred_at
    case = await repository.lock_complaint(tx.conn, envelope.complaint_id)
    if case is None:
        policy = ctx.policies.for_new_complaint(at, routed.report_type)
        case = await repository.insert_complaint(
            tx.conn, complaint_id=envelope.complaint_id, tracking_number=envelope.tracking_number,
            correlation_id=envelope.correlation_id, report_type=routed.report_type.value,
            policy_version=policy.version, anonymous=routed.anonymous, confidential=routed.confidential,
            title=routed.title, category=routed.category, route_count=routed.route_count,
            status=Status.ROUTED.value, routed_at=at,
            hard_cap_at=hard_cap_at(ctx, policy.hard_cap_days, at, routed.agency.jurisdiction_code),
            **agency_columns(routed.agency),
        )
        assert case is not None
        await _enter_agency(tx, ctx, case, envelope, routed.agency, at=at)
        log.info("case_opened", agency_id=routed.agency.agency_id, policy_version=policy.version)
        return
    if case["hard_cap_at"] is None:  # waited in triage (perhaps held or archived there): first routing
        await stop_clocks(tx, case, at=at, keep_hard_cap=False)
        policy = ctx.policy_of(case)
        case = await repository.update_complaint(
            tx.conn, case["complaint_id"], status=Status.ROUTED.value, routed_at=at, title=routed.title,
            category=routed.category, route_count=routed.route_count, status_before_hold=None, closed_at=None,
            close_reason=None, reopen_until=None,
            hard_cap_at=hard_cap_at(ctx, policy.hard_cap_days, at, routed.agency.jurisdiction_code),
            **agency_columns(routed.agency),
        )
        await _enter_agency(tx, ctx, case, envelope, routed.agency, at=at)
        log.info("case_routed_after_triage", agency_id=routed.agency.agency_id)
        return
    if routed.route_count <= case["route_count"]:
        return  # a redelivery, or the forwarding was already applied from complaint.forwarded
    if routed.agency.agency_id == case["agency_id"]:
        await repository.update_complaint(tx.conn, case["complaint_id"], route_count=routed.route_count)
        return
    await retarget(tx, ctx, case, envelope, routed.agency, route_count=routed.route_count)


async def on_forwarded(tx: Tx, envelope: Envelope[Any], *, ctx: Context) -> None:
    """Pelimpahan: the complaint left its agency for another one; the clocks follow it."""
    forwarded: ComplaintForwarded = envelope.payload
    if envelope.complaint_id is None:
        return
    case = await repository.lock_complaint(tx.conn, envelope.complaint_id)
    if case is None:
        log.warning("forwarded_unknown_complaint")
        return
    if forwarded.to_agency.agency_id == case["agency_id"]:
        return  # already applied (from complaint.routed with route_count > 1)
    await retarget(tx, ctx, case, envelope, forwarded.to_agency, route_count=case["route_count"] + 1)


async def retarget(
    tx: Tx, ctx: Context, case: Case, envelope: Envelope[Any], agency: AgencyRef, *, route_count: int
) -> None:
    """The complaint now belongs to ``agency``: the old agency's clocks and escalation end, the new
    agency's follow-up clock starts (under the complaint's original policy version and hard cap)."""
    at = envelope.occurred_at
    previous = case["agency_name"]
    await stop_clocks(tx, case, at=at)
    case = await repository.update_complaint(
        tx.conn, case["complaint_id"], status=Status.ROUTED.value, route_count=route_count, escalation_level=0,
        escalated_to=[], extension_days=0, closed_at=None, close_reason=None, reopen_until=None,
        **agency_columns(agency),
    )
    await record(tx, case, event_id=envelope.event_id, event_type="complaint.forwarded", at=at,
                 agency_id=agency.agency_id,
                 facts={"from_agency_name": previous, "to_agency_name": agency.name})
    await start_clock(tx, ctx, case, stage="follow_up", working_days=ctx.policy_of(case).follow_up, since=at, at=at)
    await arm_hard_cap(tx, ctx, case, at=at)
    log.info("case_retargeted", agency_id=agency.agency_id, route_count=route_count)


async def on_needs_triage(tx: Tx, envelope: Envelope[Any], *, ctx: Context) -> None:
    """Routing could not place the complaint: the verification clock runs for the triage office."""
    triage: ComplaintNeedsTriage = envelope.payload
    if envelope.complaint_id is None or envelope.tracking_number is None:
        return
    at = envelope.occurred_at
    office = general_office(triage.triage_jurisdiction)
    policy = ctx.policies.for_new_complaint(at, triage.report_type)
    case = await repository.insert_complaint(
        tx.conn, complaint_id=envelope.complaint_id, tracking_number=envelope.tracking_number,
        correlation_id=envelope.correlation_id, report_type=triage.report_type.value,
        policy_version=policy.version, anonymous=triage.anonymous, confidential=triage.confidential,
        title=triage.title, category=triage.category, status=Status.TRIAGE.value, routed_at=at,
        **agency_columns(office),
    )
    if case is None:
        return
    await record(tx, case, event_id=envelope.event_id, event_type="complaint.needs_triage", at=at,
                 agency_id=office.agency_id, facts={"agency_name": office.name})
    await start_clock(tx, ctx, case, stage="verification", working_days=policy.verification, since=at, at=at)
    log.info("case_awaiting_triage", triage_jurisdiction=triage.triage_jurisdiction)


async def on_triage_decided(tx: Tx, envelope: Envelope[Any], *, ctx: Context, service_name: str) -> None:
    """Routing's triage held (tunda) or archived the complaint. Followup's own held events (admin.hold)
    come back on the same topic and are ignored here."""
    if envelope.producer == service_name or envelope.complaint_id is None:
        return
    case = await repository.lock_complaint(tx.conn, envelope.complaint_id)
    if case is None or case["status"] != Status.TRIAGE.value:
        return
    at = envelope.occurred_at
    decision: ComplaintHeld | ComplaintArchived = envelope.payload
    if isinstance(decision, ComplaintArchived):
        await close(tx, ctx, case, reason="archived", by=decision.by, at=at,
                    facts={"reason_id": decision.reason.message_id, "reason_en": decision.reason.message_en})
        return
    case = await stop_clocks(tx, case, at=at)
    case = await repository.update_complaint(
        tx.conn, case["complaint_id"], status=Status.HELD.value, status_before_hold=Status.TRIAGE.value
    )
    await record(tx, case, event_id=envelope.event_id, event_type="complaint.held", at=at,
                 facts={"reason_id": decision.reason.message_id, "reason_en": decision.reason.message_en})


async def _enter_agency(
    tx: Tx, ctx: Context, case: Case, envelope: Envelope[Any], agency: AgencyRef, *, at: Any
) -> None:
    await record(tx, case, event_id=envelope.event_id, event_type="complaint.routed", at=at,
                 agency_id=agency.agency_id, facts={"agency_name": agency.name})
    await start_clock(tx, ctx, case, stage="follow_up", working_days=ctx.policy_of(case).follow_up, since=at, at=at)
    await arm_hard_cap(tx, ctx, case, at=at)


def agency_columns(agency: AgencyRef) -> dict[str, str]:
    """A complaint's columns naming its responsible agency."""
    return {
        "agency_id": agency.agency_id, "agency_name": agency.name, "agency_level": agency.level.value,
        "jurisdiction_code": agency.jurisdiction_code,
    }
