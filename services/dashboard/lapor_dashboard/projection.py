"""The read model as a pure function of a complaint's events (no I/O here).

``log_entry(envelope)`` turns a lifecycle event into one compact, public-safe line of the complaint's
event log: its type, time and *facts* (agency, jurisdiction, stage, deadline, rating, reason code), never
the title, description, texts, attachments, officer refs or anything about the reporter. A stored file's
*reference* (``evidence``: object id, type, size, hash; never a link) is kept, so the complaint page can
sign links for those who may see it (``evidence``).
``fold(entries)`` turns a complaint's log into its dashboard row.

The fold sorts the entries by time (then by a fixed causal rank, then by event id), so the row depends
on the *set* of events only, not on the order they arrived in: a replay from Kafka, a rebuild running
beside the live consumer, or a redelivery after a rebalance all end in the same row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from lapor_shared.events import Envelope
from lapor_shared.events.values import NATIONAL_CODE
from lapor_shared.regions import is_known

STATUSES: tuple[str, ...] = (
    "submitted", "triage", "routed", "acknowledged", "responded", "reporter_replied", "reopened", "held",
    "closed", "archived",
)
"""Every status a dashboard row can have, in lifecycle order."""

OWED: tuple[str, ...] = ("triage", "routed", "acknowledged", "reporter_replied", "reopened")
"""Statuses in which someone owes the next step (triage the verification, the agency the follow-up):
a passed deadline in one of these makes the complaint overdue."""

FINISHED: tuple[str, ...] = ("closed", "archived")

RANK: dict[str, int] = {
    "complaint.accepted": 0,
    "complaint.needs_triage": 1,
    "complaint.held": 2,
    "complaint.archived": 2,
    "complaint.routed": 3,
    "complaint.forwarded": 3,
    "complaint.acknowledged": 4,
    "complaint.responded": 5,
    "complaint.reporter_replied": 6,
    "complaint.closed": 7,
    "complaint.reopened": 8,
    "complaint.rated": 9,
    "complaint.deadline_set": 10,
    "complaint.deadline_extended": 11,
    "complaint.deadline_warning": 12,
    "complaint.deadline_breached": 13,
    "complaint.escalated": 14,
}
"""Order of events with the same timestamp: the status change first, then the clocks it starts."""

STATUS_OF: dict[str, str] = {
    "complaint.accepted": "submitted",
    "complaint.needs_triage": "triage",
    "complaint.routed": "routed",
    "complaint.forwarded": "routed",
    "complaint.held": "held",
    "complaint.archived": "archived",
    "complaint.acknowledged": "acknowledged",
    "complaint.responded": "responded",
    "complaint.reporter_replied": "reporter_replied",
    "complaint.reopened": "reopened",
}


@dataclass(frozen=True, slots=True)
class LogEntry:
    event_id: UUID
    complaint_id: UUID
    event_type: str
    occurred_at: datetime
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def sort_key(self) -> tuple[datetime, int, str]:
        return (self.occurred_at, RANK.get(self.event_type, 99), str(self.event_id))


@dataclass(frozen=True, slots=True)
class Row:
    """One complaint as the dashboard sees it (``complaints`` table, minus the title)."""

    complaint_id: UUID
    jurisdiction_code: str
    responsible_code: str
    status: str
    received_at: datetime
    last_event_at: datetime
    agency_id: str | None = None
    agency_name: str | None = None
    agency_level: str | None = None
    category: str | None = None
    report_type: str | None = None
    confidential: bool = False
    routed_at: datetime | None = None
    first_response_at: datetime | None = None
    answered_on_time: bool | None = None
    stage: str | None = None
    due_at: datetime | None = None
    overdue: bool = False
    closed_at: datetime | None = None
    close_reason: str | None = None
    rating: int | None = None
    escalations: int = 0
    escalation_level: int = 0

    @property
    def province_code(self) -> str | None:
        return province_of(self.jurisdiction_code)


def province_of(code: str) -> str | None:
    return None if code == NATIONAL_CODE else code.split(".")[0]


def known_code(code: str | None) -> str:
    """A jurisdiction code the tree knows, else the nation (never an unknown node)."""
    return code if code and is_known(code) else NATIONAL_CODE


def _agency(ref: Any) -> dict[str, Any]:
    return {"agency_id": ref.agency_id, "agency_name": ref.name, "agency_level": str(ref.level.value),
            "jurisdiction_code": ref.jurisdiction_code}


def _deadline(payload: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {"stage": payload.stage, "due_at": payload.due_at.isoformat(),
                             "agency_id": payload.agency_id}
    working_days = getattr(payload, "working_days", None)
    if working_days is not None:
        facts["working_days"] = working_days
    return facts


def _evidence(payload: Any) -> dict[str, Any]:
    """The files' references, when the event names any (a shared topic's copy of a rahasia event has none)."""
    items = getattr(payload, "evidence", [])
    return {"evidence": [e.model_dump(mode="json") for e in items]} if items else {}


def facts_of(envelope: Envelope[Any]) -> dict[str, Any] | None:
    """The public-safe facts of a lifecycle event; None for an event the dashboard does not read."""
    p = envelope.payload
    kind = envelope.event_type
    if kind == "complaint.accepted":
        where = envelope.jurisdiction_code or p.location.region_code
        return {"jurisdiction_code": known_code(where), "report_type": str(p.report_type.value),
                "category": p.category_hint, "confidential": p.confidential}
    if kind == "complaint.needs_triage":
        return {"jurisdiction_code": known_code(p.triage_jurisdiction), "report_type": str(p.report_type.value),
                "category": p.category, "confidential": p.confidential, "reason": p.reason.code}
    if kind == "complaint.routed":
        return {**_agency(p.agency), "category": p.category, "report_type": str(p.report_type.value),
                "confidential": p.confidential, "route_count": p.route_count, "reason": p.reason.code,
                **_evidence(p)}
    if kind == "complaint.forwarded":
        return {**_agency(p.to_agency), "from_agency_id": p.from_agency.agency_id, "reason": p.reason.code}
    if kind in ("complaint.held", "complaint.archived"):
        return {"reason": p.reason.code}
    if kind in ("complaint.acknowledged", "complaint.responded"):
        return {"agency_id": p.agency_id, **_evidence(p)}
    if kind in ("complaint.reporter_replied", "complaint.reopened"):
        return _evidence(p)
    if kind == "complaint.rated":
        return {"rating": p.rating}
    if kind in ("complaint.deadline_set", "complaint.deadline_extended", "complaint.deadline_warning",
                "complaint.deadline_breached"):
        return _deadline(p)
    if kind == "complaint.escalated":
        return {"stage": p.stage, "escalation_level": p.escalation_level, "to_agency_id": p.to_agency.agency_id,
                "to_agency_name": p.to_agency.name, "to_jurisdiction_code": p.to_agency.jurisdiction_code,
                "due_at": p.due_at.isoformat() if p.due_at else None}
    if kind == "complaint.closed":
        return {"reason": p.reason}
    return None


def log_entry(envelope: Envelope[Any]) -> LogEntry | None:
    """The event log line of ``envelope``, or None (not about a complaint, or not read here)."""
    if envelope.complaint_id is None:
        return None
    facts = facts_of(envelope)
    if facts is None:
        return None
    return LogEntry(envelope.event_id, envelope.complaint_id, envelope.event_type, envelope.occurred_at, facts)


def _at(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def ordered(entries: Iterable[LogEntry]) -> list[LogEntry]:
    return sorted(entries, key=lambda e: e.sort_key)


def step(row: Row | None, entry: LogEntry) -> Row:
    """The row after one more event (``row`` is None before the complaint's first event).

    What the event changes is gathered and the row copied once (``replace`` builds a whole row; a fold calls
    this for every event of a complaint each time one arrives: a sixth of the dashboard's time, issue 17)."""
    f, at, kind = entry.facts, entry.occurred_at, entry.event_type
    if row is None:
        where = known_code(f.get("jurisdiction_code"))
        row = Row(entry.complaint_id, jurisdiction_code=where, responsible_code=NATIONAL_CODE,
                  status="submitted", received_at=at, last_event_at=at)
    changed: dict[str, Any] = {}
    if at > row.last_event_at:
        changed["last_event_at"] = at
    if at < row.received_at:
        changed["received_at"] = at
    status = STATUS_OF.get(kind)

    if kind == "complaint.accepted":
        # intake's view arrives first; it never moves a complaint that routing already placed
        placed = row.routed_at is not None or row.status != "submitted"
        changed.update(report_type=f.get("report_type") or row.report_type,
                       category=row.category or f.get("category"), confidential=bool(f.get("confidential")),
                       jurisdiction_code=row.jurisdiction_code if placed else known_code(f.get("jurisdiction_code")))
        status = None if placed else status
    elif kind == "complaint.needs_triage":
        where = known_code(f.get("jurisdiction_code"))
        changed.update(jurisdiction_code=where, responsible_code=where, agency_id=None, agency_name=None,
                       agency_level=None, category=f.get("category") or row.category,
                       report_type=f.get("report_type") or row.report_type,
                       confidential=bool(f.get("confidential")))
    elif kind in ("complaint.routed", "complaint.forwarded"):
        where = known_code(f.get("jurisdiction_code"))
        changed.update(jurisdiction_code=where, responsible_code=where, agency_id=f.get("agency_id"),
                       agency_name=f.get("agency_name"), agency_level=f.get("agency_level"),
                       routed_at=row.routed_at or at)
        if kind == "complaint.routed":
            changed.update(category=f.get("category") or row.category,
                           report_type=f.get("report_type") or row.report_type,
                           confidential=bool(f.get("confidential")))
    elif kind == "complaint.responded":
        if row.first_response_at is None:
            changed.update(first_response_at=at, answered_on_time=row.due_at is None or at <= row.due_at)
        changed.update(due_at=None, stage=None, overdue=False)
    elif kind in ("complaint.closed", "complaint.archived"):
        reason = f.get("reason") if kind == "complaint.closed" else "archived"
        status = "archived" if reason == "archived" else "closed"
        changed.update(closed_at=at, close_reason=reason, due_at=None, stage=None, overdue=False)
    elif kind == "complaint.reopened":
        changed.update(closed_at=None, close_reason=None)
    elif kind == "complaint.rated":
        changed["rating"] = f.get("rating")
    elif kind in ("complaint.deadline_set", "complaint.deadline_extended"):
        if f.get("stage") == "auto_close":  # the reporter's clock, not a debt of the agency
            changed.update(stage="auto_close", due_at=None, overdue=False)
        else:
            changed.update(stage=f.get("stage"), due_at=_at(f.get("due_at")), overdue=False)
    elif kind == "complaint.deadline_breached":
        if f.get("stage") != "auto_close":
            changed.update(overdue=True, due_at=row.due_at or _at(f.get("due_at")))
    elif kind == "complaint.escalated":
        changed.update(escalations=row.escalations + 1,
                       escalation_level=max(row.escalation_level, int(f.get("escalation_level") or 0)))

    if status is not None:
        changed["status"] = status
    return replace(row, **changed) if changed else row


def fold(entries: Iterable[LogEntry]) -> Row | None:
    """A complaint's dashboard row from its event log, whatever order the entries came in."""
    row: Row | None = None
    for entry in ordered(entries):
        row = step(row, entry)
    return row


def history(entries: Iterable[LogEntry]) -> list[tuple[LogEntry, Row]]:
    """Each event with the row it left behind (the complaint history page)."""
    row: Row | None = None
    steps = []
    for entry in ordered(entries):
        row = step(row, entry)
        steps.append((entry, row))
    return steps
