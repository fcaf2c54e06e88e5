"""An officer's actions as this agency's commands: built from a form, recorded and published.

Each action becomes one command of ``lapor_shared.events.commands`` whose ``agency_id`` is the officer's
agency (never a form field): ``destinations`` sends it to ``lapor.commands.agency.<agency id>``, the
topic only this agency's principal writes. The command's row (``actions``) and its outbox row are written
in one transaction, so a command is published if and only if it is recorded. Its id comes from the
form's nonce: a form sent twice publishes once. The outcome arrives on the agency's stream (``service``).
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

import asyncpg
from pydantic import ValidationError

from lapor_console import repository
from lapor_console.auth import Officer
from lapor_shared.events import Envelope, Payload
from lapor_shared.events.commands import (
    AcknowledgeComplaint,
    ForwardComplaint,
    RequestExtension,
    ResolveComplaint,
    RespondToComplaint,
)
from lapor_shared.events.values import Attachment, unsafe_link_reasons
from lapor_shared.localtime import zone_of
from lapor_shared.logging import get_logger
from lapor_shared.outbox import Outbox
from lapor_shared.workcalendar import WorkingCalendar

log = get_logger(component="console.commands")

_NAMESPACE = UUID("3d1f7a52-8c0e-4b7e-a1f2-5c9d0e6b7a41")
ACTIONS = ("acknowledge", "respond", "extend", "resolve", "forward")
PRODUCER = "console"


class ActionProblem(ValueError):
    """The form cannot become a command; ``messages`` say why, (Bahasa Indonesia, English) each."""

    def __init__(self, messages: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(en for _, en in messages))
        self.messages = messages


def attachments_of(text: str) -> list[Attachment]:
    """One link per line; the media type guessed from the name, the size unknown (0)."""
    found = []
    for raw in text.splitlines():
        url = raw.strip()
        if url:
            media_type = mimetypes.guess_type(url.split("?", 1)[0])[0] or "application/octet-stream"
            found.append(Attachment.model_validate({"url": url, "media_type": media_type, "size_bytes": 0}))
    return found


def build(action: str, officer: Officer, form: dict[str, str]) -> tuple[Payload, str | None]:
    """The command for ``action`` and the internal note to keep beside it, or ``ActionProblem``."""
    agency_id = officer.agency_id
    text = (form.get("text") or "").strip()
    note = (form.get("internal_note") or "").strip() or None
    try:
        if action == "acknowledge":
            return AcknowledgeComplaint(agency_id=agency_id, officer_ref=officer.username), note
        if action == "respond":
            attachments = attachments_of(form.get("attachments") or "")
            unsafe = unsafe_link_reasons(attachments)
            if unsafe:
                raise ActionProblem([(r.message_id, r.message_en) for r in unsafe])
            return RespondToComplaint(agency_id=agency_id, text=text, attachments=attachments, internal_note=note,
                                      officer_ref=officer.username), note
        if action == "extend":
            return RequestExtension(agency_id=agency_id, working_days=int(form.get("working_days") or 0),
                                    reason=(form.get("reason") or "").strip()), note
        if action == "resolve":
            return ResolveComplaint(agency_id=agency_id, text=text or None), note
        if action == "forward":
            return ForwardComplaint(agency_id=agency_id, to_agency_id=(form.get("to_agency_id") or "").strip(),
                                    reason=(form.get("reason") or "").strip()), note
    except ValidationError as exc:
        raise ActionProblem([_problem(error) for error in exc.errors()]) from None
    except ValueError as exc:
        if isinstance(exc, ActionProblem):
            raise
        raise ActionProblem([("Isian tidak valid.", "Invalid input.")]) from None
    raise ActionProblem([("Tindakan tidak dikenal.", "Unknown action.")])


def _problem(error: Any) -> tuple[str, str]:
    where = ".".join(str(part) for part in error.get("loc", ())) or "form"
    return f"{where}: isian tidak valid ({error.get('msg', '')})", f"{where}: {error.get('msg', 'invalid')}"


def command_id_for(officer: Officer, complaint_id: UUID, nonce: str) -> UUID:
    return uuid5(_NAMESPACE, f"{officer.agency_id}:{officer.username}:{complaint_id}:{nonce}")


@dataclass(frozen=True, slots=True)
class Sent:
    command_id: UUID
    published: bool
    """False when this form's command was already sent (the same nonce)."""


async def send(pool: asyncpg.Pool, outbox: Outbox, officer: Officer, complaint: asyncpg.Record, command: Payload,
               *, nonce: str, internal_note: str | None) -> Sent:
    """Record and publish ``command`` about ``complaint`` as the officer's agency, once per form."""
    command_id = command_id_for(officer, complaint["complaint_id"], nonce)
    envelope = Envelope.new(command, producer=PRODUCER, complaint_id=complaint["complaint_id"],
                            tracking_number=complaint["tracking_number"], event_id=command_id)
    details = command.model_dump(mode="json", exclude={"agency_id", "internal_note"})
    async with pool.acquire() as conn, conn.transaction():
        if await repository.action(conn, command_id, officer.agency_id) is not None:
            return Sent(command_id, False)
        await repository.add_action(conn, command_id=command_id, complaint_id=complaint["complaint_id"],
                                    agency_id=officer.agency_id, username=officer.username,
                                    command_type=command.event_type, details=details, internal_note=internal_note)
        await outbox.add(conn, envelope)
    log.info("agency_command_published", command_type=command.event_type, agency_id=officer.agency_id,
             tracking_number=complaint["tracking_number"])
    return Sent(command_id, True)


def extended_deadline(calendar: WorkingCalendar, due_at: datetime | None, jurisdiction_code: str | None,
                      working_days: int) -> datetime | None:
    """The deadline an extension of ``working_days`` would give (followup's calendar, without the operators'
    overrides, which only followup holds: a preview; the page shows followup's answer when it arrives)."""
    if due_at is None or working_days < 1:
        return None
    return calendar.extend(due_at, working_days, zone_of(jurisdiction_code or "ID"))
