"""What each agency, reporter and admin command does to a complaint, once ``service.handle_command``
has found the complaint and checked the command against the state machine (``states.TRANSITIONS``).

Every action takes ``(tx, ctx, case, envelope, at)`` and returns None when it is done, or the ``Reason``
it cannot be done (a rule of the deadline policy, a rating given twice …): then nothing has changed and
the command is answered with ``complaint.action_rejected``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from lapor_followup import repository
from lapor_followup.context import Context
from lapor_followup.effects import (
    Case,
    agency_name,
    arm_hard_cap,
    close,
    move_deadline,
    publish,
    start_clock,
    stop_clocks,
)
from lapor_followup.states import OWED, Status
from lapor_followup.workcalendar import zone_of
from lapor_shared.consumer import Tx
from lapor_shared.events import Envelope, Payload
from lapor_shared.events.commands import (
    AcknowledgeComplaint,
    AdminClose,
    AdminHold,
    AdminReopen,
    RateHandling,
    ReopenComplaint,
    ReplyToResponse,
    RequestExtension,
    ResolveComplaint,
    RespondToComplaint,
)
from lapor_shared.events.lifecycle import (
    ComplaintAcknowledged,
    ComplaintHeld,
    ComplaintRated,
    ComplaintReopened,
    ComplaintReporterReplied,
    ComplaintResponded,
    DeadlineExtended,
)
from lapor_shared.events.values import Reason, reason, unsafe_link_reasons
from lapor_shared.logging import get_logger

log = get_logger(component="followup")

Action = Callable[[Tx, Context, Case, Envelope[Any], datetime], Awaitable[Reason | None]]


# --- agency ----------------------------------------------------------------------------------------------

async def acknowledge(tx: Tx, ctx: Context, case: Case, envelope: Envelope[Any], at: datetime) -> Reason | None:
    command: AcknowledgeComplaint = envelope.payload
    case = await repository.update_complaint(tx.conn, case["complaint_id"], status=Status.ACKNOWLEDGED.value)
    await publish(tx, case, ComplaintAcknowledged(agency_id=command.agency_id, officer_ref=command.officer_ref),
                  at=at, agency_id=command.agency_id, facts={"agency_name": agency_name(case, command.agency_id)})
    return None


async def respond(tx: Tx, ctx: Context, case: Case, envelope: Envelope[Any], at: datetime) -> Reason | None:
    """Tindak lanjut: the follow-up clock and any escalation stop, the auto-close clock starts. The
    internal note stays in followup's store; it is in no event and in nothing the reporter sees."""
    command: RespondToComplaint = envelope.payload
    if unsafe := unsafe_link_reasons(command.attachments):
        return unsafe[0]
    if command.internal_note:
        await repository.add_internal_note(tx.conn, complaint_id=case["complaint_id"], agency_id=command.agency_id,
                                           note=command.internal_note, created_at=at)
    first = case["first_response_at"] is None
    in_time = case["due_at"] is not None and at <= case["due_at"] if case["stage"] == "follow_up" else True
    await repository.cancel_timers(tx.conn, case["complaint_id"], at=at, stages=["follow_up", "auto_close"])
    case = await repository.update_complaint(
        tx.conn, case["complaint_id"], status=Status.RESPONDED.value, last_response_at=at,
        first_response_at=at if first else case["first_response_at"],
        answered_in_time=in_time if first else case["answered_in_time"], escalation_level=0, escalated_to=[],
    )
    await publish(
        tx, case,
        ComplaintResponded(agency_id=command.agency_id, text=command.text, attachments=command.attachments,
                           evidence=command.evidence, officer_ref=command.officer_ref),
        at=at, agency_id=command.agency_id,
        facts={"agency_name": agency_name(case, command.agency_id), "text": command.text,
               "attachments": [a.model_dump(mode="json") for a in command.attachments],
               "evidence": [e.model_dump(mode="json") for e in command.evidence]},
    )
    await start_clock(tx, ctx, case, stage="auto_close", working_days=ctx.policy_of(case).auto_close,
                      since=at, at=at)
    return None


async def request_extension(
    tx: Tx, ctx: Context, case: Case, envelope: Envelope[Any], at: datetime
) -> Reason | None:
    """More working days for an investigation, within the policy's limits and the hard cap."""
    command: RequestExtension = envelope.payload
    policy = ctx.policy_of(case)
    if case["stage"] != "follow_up" or case["due_at"] is None:
        return reason("no_running_deadline", message_id="Tidak ada tenggat tindak lanjut yang berjalan.",
                      message_en="No follow-up deadline is running.")
    if at > case["due_at"] or case["escalation_level"] > 0:
        return reason("deadline_passed", message_id="Tenggat sudah terlewati; perpanjangan tidak dapat diberikan.",
                      message_en="The deadline has passed; it can no longer be extended.")
    if command.working_days > policy.extension_per_request:
        return reason(
            "extension_too_long", field="payload.working_days",
            message_id=f"Perpanjangan paling lama {policy.extension_per_request} hari kerja per permintaan.",
            message_en=f"An extension may add at most {policy.extension_per_request} working days per request.")
    if case["extension_days"] + command.working_days > policy.extension_total:
        left = policy.extension_total - case["extension_days"]
        return reason(
            "extension_limit", field="payload.working_days",
            message_id=f"Batas perpanjangan {policy.extension_total} hari kerja; sisa {left} hari kerja.",
            message_en=f"Extensions are limited to {policy.extension_total} working days in total; {left} left.")
    zone = zone_of(case["jurisdiction_code"])
    due = ctx.calendar.extend(case["due_at"], command.working_days, zone)
    if case["hard_cap_at"] is not None and due > case["hard_cap_at"]:
        cap = case["hard_cap_at"].astimezone(zone).date().isoformat()
        return reason(
            "hard_cap", field="payload.working_days",
            message_id=f"Perpanjangan melewati batas {policy.hard_cap_days} hari ({cap}).",
            message_en=f"The extension would pass the {policy.hard_cap_days}-day limit ({cap}).")
    await move_deadline(tx, ctx, case, due=due, since=at)
    case = await repository.update_complaint(
        tx.conn, case["complaint_id"], due_at=due, extension_days=case["extension_days"] + command.working_days,
        stage_working_days=case["stage_working_days"] + command.working_days,
    )
    await publish(
        tx, case,
        DeadlineExtended(stage="follow_up", agency_id=case["agency_id"], due_at=due, reason=command.reason,
                         policy_version=policy.version, working_days=command.working_days),
        at=at, agency_id=command.agency_id,
        facts={"agency_name": agency_name(case, command.agency_id), "due_at": due.isoformat(),
               "working_days": command.working_days},
    )
    return None


async def resolve(tx: Tx, ctx: Context, case: Case, envelope: Envelope[Any], at: datetime) -> Reason | None:
    command: ResolveComplaint = envelope.payload
    if command.text:
        await publish(tx, case, ComplaintResponded(agency_id=command.agency_id, text=command.text), at=at,
                      agency_id=command.agency_id,
                      facts={"agency_name": agency_name(case, command.agency_id), "text": command.text})
    await close(tx, ctx, case, reason="resolved", by=command.agency_id, at=at,
                facts={"agency_name": agency_name(case, command.agency_id)})
    return None


# --- reporter --------------------------------------------------------------------------------------------

async def reply(tx: Tx, ctx: Context, case: Case, envelope: Envelope[Any], at: datetime) -> Reason | None:
    """The reporter answers the follow-up: auto-close stops, the agency owes a follow-up again."""
    command: ReplyToResponse = envelope.payload
    if unsafe := unsafe_link_reasons(command.attachments):
        return unsafe[0]
    case = await stop_clocks(tx, case, at=at)
    case = await repository.update_complaint(tx.conn, case["complaint_id"], status=Status.REPORTER_REPLIED.value)
    await publish(
        tx, case, ComplaintReporterReplied(text=command.text, attachments=command.attachments,
                                           evidence=command.evidence), at=at,
        facts={"text": command.text, "attachments": [a.model_dump(mode="json") for a in command.attachments],
               "evidence": [e.model_dump(mode="json") for e in command.evidence]},
    )
    await start_clock(tx, ctx, case, stage="follow_up", working_days=ctx.policy_of(case).follow_up, since=at, at=at)
    return None


async def rate(tx: Tx, ctx: Context, case: Case, envelope: Envelope[Any], at: datetime) -> Reason | None:
    command: RateHandling = envelope.payload
    if case["rated_at"] is not None:
        return reason("already_rated", message_id="Penanganan laporan ini sudah Anda nilai.",
                      message_en="The handling of this complaint has already been rated.")
    case = await repository.update_complaint(tx.conn, case["complaint_id"], rating=command.rating, rated_at=at)
    await publish(tx, case, ComplaintRated(rating=command.rating, comment=command.comment), at=at,
                  facts={"rating": command.rating})
    return None


async def reporter_reopen(
    tx: Tx, ctx: Context, case: Case, envelope: Envelope[Any], at: datetime
) -> Reason | None:
    command: ReopenComplaint = envelope.payload
    if case["close_reason"] not in ("resolved", "auto_close"):
        return reason("not_reopenable",
                      message_id="Laporan yang ditutup oleh admin atau diarsipkan tidak dapat dibuka kembali.",
                      message_en="A complaint closed by an admin or archived cannot be reopened by the reporter.")
    if case["reopen_until"] is None or at > case["reopen_until"]:
        window = ctx.policy_of(case).reopen_window
        return reason("reopen_window_passed",
                      message_id=f"Batas waktu membuka kembali ({window} hari kerja setelah selesai) sudah lewat.",
                      message_en=f"The reopen window ({window} working days after closing) has passed.")
    await _reopen(tx, ctx, case, by="reporter", why=command.reason, at=at)
    return None


async def _reopen(tx: Tx, ctx: Context, case: Case, *, by: str, why: str | None, at: datetime) -> None:
    case = await repository.update_complaint(
        tx.conn, case["complaint_id"], status=Status.REOPENED.value, closed_at=None, close_reason=None,
        reopen_until=None, rating=None, rated_at=None,
    )
    await publish(tx, case, ComplaintReopened(by=by, reason=why), at=at, facts={"by": by.split(":", 1)[0]})
    await start_clock(tx, ctx, case, stage="follow_up", working_days=ctx.policy_of(case).follow_up, since=at, at=at)
    await arm_hard_cap(tx, ctx, case, at=at)


# --- admin -----------------------------------------------------------------------------------------------

async def hold(tx: Tx, ctx: Context, case: Case, envelope: Envelope[Any], at: datetime) -> Reason | None:
    """Tunda: every clock stops (the hard cap keeps running) until an admin reopens it."""
    command: AdminHold = envelope.payload
    before = case["status"]
    case = await stop_clocks(tx, case, at=at)
    case = await repository.update_complaint(tx.conn, case["complaint_id"], status=Status.HELD.value,
                                             status_before_hold=before)
    await publish(
        tx, case,
        ComplaintHeld(reason=reason("admin_hold", message_id=command.reason, message_en=command.reason),
                      by=f"admin:{command.admin_ref}"),
        at=at, facts={},
    )
    return None


async def admin_close(tx: Tx, ctx: Context, case: Case, envelope: Envelope[Any], at: datetime) -> Reason | None:
    command: AdminClose = envelope.payload
    await close(tx, ctx, case, reason="admin", by=f"admin:{command.admin_ref}", at=at)
    return None


async def admin_reopen(tx: Tx, ctx: Context, case: Case, envelope: Envelope[Any], at: datetime) -> Reason | None:
    """From held: back to where it was, with fresh clocks. From closed: reopened, the agency owes a
    follow-up again."""
    command: AdminReopen = envelope.payload
    by = f"admin:{command.admin_ref}"
    if case["status"] == Status.CLOSED.value:
        await _reopen(tx, ctx, case, by=by, why=command.reason, at=at)
        return None
    restored = Status(case["status_before_hold"] or Status.ROUTED.value)
    case = await repository.update_complaint(tx.conn, case["complaint_id"], status=restored.value,
                                             status_before_hold=None)
    await publish(tx, case, ComplaintReopened(by=by, reason=command.reason), at=at, facts={"by": "admin"})
    policy = ctx.policy_of(case)
    if restored in OWED:
        await start_clock(tx, ctx, case, stage="follow_up", working_days=policy.follow_up, since=at, at=at)
    elif restored is Status.RESPONDED:
        await start_clock(tx, ctx, case, stage="auto_close", working_days=policy.auto_close, since=at, at=at)
    elif restored is Status.TRIAGE:
        await start_clock(tx, ctx, case, stage="verification", working_days=policy.verification, since=at, at=at)
    return None


BY_COMMAND: dict[type[Payload], Action] = {
    AcknowledgeComplaint: acknowledge,
    RespondToComplaint: respond,
    RequestExtension: request_extension,
    ResolveComplaint: resolve,
    ReplyToResponse: reply,
    RateHandling: rate,
    ReopenComplaint: reporter_reopen,
    AdminHold: hold,
    AdminClose: admin_close,
    AdminReopen: admin_reopen,
}
"""The action of every command followup handles; each returns None when done, or why it refused."""
