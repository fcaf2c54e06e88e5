"""The console's read model as pure functions of what an agency's stream carried (no I/O here).

``entry_of(envelope, stream_owner)`` is one line of a complaint's timeline: the event's payload as the
agency read it, *minus any reporter reference* (``reporter_ref`` is an opaque id, still it is not the
officer's business; an anonim complaint has none anyway). ``fold(lines)`` is the complaint's row for the
work list. Lines are folded in a fixed order (time, then the causal rank of their type, then id), so the
row depends on the set of events only, not on the order they arrived in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from lapor_shared.events import Envelope
from lapor_shared.topics import AGENCY_STREAMS

ORDER = (
    "complaint.routed", "complaint.forwarded", "complaint.held", "complaint.acknowledged", "complaint.responded",
    "complaint.reporter_replied", "complaint.closed", "complaint.reopened", "complaint.rated",
    "complaint.deadline_set", "complaint.deadline_extended", "complaint.deadline_warning",
    "complaint.deadline_breached", "complaint.escalated", "complaint.action_rejected",
)
"""Causal rank of event types that share a timestamp: the status change, then the clocks it starts."""

NEW_STATUS = {
    "complaint.routed": "routed", "complaint.held": "held", "complaint.acknowledged": "acknowledged",
    "complaint.responded": "responded", "complaint.reporter_replied": "reporter_replied",
    "complaint.closed": "closed", "complaint.reopened": "reopened",
}
OPEN = ("routed", "acknowledged", "responded", "reporter_replied", "reopened", "held")
"""Statuses of the work list: the complaint is not closed (``responded`` waits for the reporter or the
auto-close, still the agency's)."""
OWED = ("routed", "acknowledged", "reporter_replied", "reopened")
"""Statuses in which the agency owes the next step: its deadline colours the row."""
HIDDEN = frozenset({"reporter_ref"})
"""Payload fields never stored: the reporter's opaque reference."""


@dataclass(frozen=True, slots=True)
class Line:
    """One event of a complaint as one agency read it on its stream."""

    event_id: UUID
    owner_id: str
    complaint_id: UUID
    event_type: str
    occurred_at: datetime
    agency_id: str | None
    body: dict[str, Any]

    @property
    def sort_key(self) -> tuple[datetime, int, str]:
        rank = ORDER.index(self.event_type) if self.event_type in ORDER else len(ORDER)
        return self.occurred_at, rank, str(self.event_id)


def owners(envelope: Envelope[Any], topic: str | None) -> list[str]:
    """The agencies that read ``envelope``: its stream's owner, and for a forwarding both agencies (one
    event id on two streams reaches this consumer once)."""
    found = [owner] if topic and (owner := AGENCY_STREAMS.owner_of(topic)) else []
    if envelope.agency_id and not found:
        found.append(envelope.agency_id)
    if envelope.event_type == "complaint.forwarded":
        found += [envelope.payload.from_agency.agency_id, envelope.payload.to_agency.agency_id]
    return list(dict.fromkeys(found))


def lines_of(envelope: Envelope[Any], topic: str | None) -> list[Line]:
    if envelope.complaint_id is None:
        return []
    body = envelope.payload.model_dump(mode="json", exclude=set(HIDDEN))
    if envelope.causation_id is not None:
        body["_caused_by"] = str(envelope.causation_id)
    return [Line(envelope.event_id, owner, envelope.complaint_id, envelope.event_type, envelope.occurred_at,
                 envelope.agency_id, body) for owner in owners(envelope, topic)]


@dataclass
class Row:
    """A complaint's row in the console's ``complaints`` table."""

    complaint_id: UUID
    status: str = "routed"
    agency_id: str | None = None
    jurisdiction_code: str | None = None
    category: str | None = None
    report_type: str | None = None
    confidential: bool = True
    anonymous: bool = False
    title: str | None = None
    description: str | None = None
    incident_date: date | None = None
    location: dict[str, Any] = field(default_factory=dict)
    attachments: list[Any] = field(default_factory=list)
    evidence: list[Any] = field(default_factory=list)
    """The submission's stored files (references: ``lapor_shared.evidence``); a response's or a reply's
    stay in its line's body."""
    stage: str | None = None
    due_at: datetime | None = None
    overdue: bool = False
    submitted_at: datetime | None = None
    routed_at: datetime | None = None
    first_response_at: datetime | None = None
    answered_on_time: bool | None = None
    closed_at: datetime | None = None
    rating: int | None = None
    last_event_at: datetime | None = None


def _content(row: Row, body: dict[str, Any]) -> None:
    agency = body.get("agency") or {}
    row.jurisdiction_code = agency.get("jurisdiction_code") or row.jurisdiction_code
    row.category, row.report_type = body.get("category"), body.get("report_type")
    row.confidential, row.anonymous = bool(body.get("confidential", True)), bool(body.get("anonymous"))
    row.title, row.description = body.get("title"), body.get("description")
    incident = body.get("incident_date")
    row.incident_date = date.fromisoformat(incident) if incident else None
    row.location, row.attachments = body.get("location") or {}, body.get("attachments") or []
    row.evidence = body.get("evidence") or []
    submitted = body.get("submitted_at")
    row.submitted_at = datetime.fromisoformat(submitted) if submitted else None


def _clock(row: Row, line: Line) -> None:
    body = line.body
    kind = line.event_type
    if kind in ("complaint.deadline_set", "complaint.deadline_extended"):
        row.stage, row.due_at, row.overdue = body.get("stage"), datetime.fromisoformat(body["due_at"]), False
    elif kind == "complaint.deadline_breached" and body.get("stage") == row.stage:
        row.overdue = True


def fold(lines: Iterable[Line]) -> Row | None:
    """The complaint's row from its timeline (any owner's lines); None before it was ever routed."""
    ordered = sorted(lines, key=lambda line: line.sort_key)
    routed = [line for line in ordered if line.event_type == "complaint.routed"]
    if not routed:
        return None
    row = Row(ordered[0].complaint_id)
    for line in ordered:
        kind, body = line.event_type, line.body
        row.last_event_at = line.occurred_at
        if line.agency_id:
            row.agency_id = line.agency_id
        if kind == "complaint.routed":
            _content(row, body)
            row.routed_at = row.routed_at or line.occurred_at
            row.agency_id = (body.get("agency") or {}).get("agency_id") or row.agency_id
        row.status = NEW_STATUS.get(kind, row.status)
        if kind == "complaint.responded" and row.first_response_at is None:
            row.first_response_at = line.occurred_at
            row.answered_on_time = row.due_at is None or line.occurred_at <= row.due_at
        if kind == "complaint.closed":
            row.closed_at, row.stage, row.due_at, row.overdue = line.occurred_at, None, None, False
        if kind == "complaint.reopened":
            row.closed_at = None
        if kind == "complaint.rated":
            row.rating = body.get("rating")
        _clock(row, line)
    return row


def urgency(status: str, due_at: datetime | None, overdue: bool, now: datetime, warning_s: float) -> str:
    """``overdue`` (red), ``warning`` (amber) or ``on_time`` (green) for a row of the work list; ``none``
    when the agency owes nothing now."""
    if status not in OWED or due_at is None:
        return "none"
    if overdue or due_at < now:
        return "overdue"
    return "warning" if (due_at - now).total_seconds() < warning_s else "on_time"
