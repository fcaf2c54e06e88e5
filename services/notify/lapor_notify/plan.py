"""Who hears what: from one lifecycle event to the messages it causes (pure logic, no I/O).

| event | reporter | officers of the responsible agency | the level above |
|---|---|---|---|
| complaint.accepted | received, with the tracking number and the reporter's key | | |
| complaint.routed | sent to the agency (first routing only) | a new complaint | |
| complaint.forwarded | moved to another agency (pelimpahan) | (the new agency: the routed event after it) | |
| complaint.responded | the response, how to reply | | |
| complaint.reporter_replied | | the reply | |
| complaint.deadline_warning | | the deadline is near | |
| complaint.escalated | deadline missed, escalated | deadline missed, escalated | escalated to you |
| complaint.held / archived | on hold / archived, why | | |
| complaint.closed | closed, how to reopen and rate | | |
| complaint.reopened | reopened | it is yours again | |

Facts come only from the event and notify's complaint projection, never from a contact: an officer
message cannot contain a reporter's identity because it is never given one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from lapor_notify import reporter_key
from lapor_shared.events import Envelope
from lapor_shared.events.intake import ComplaintAccepted
from lapor_shared.events.lifecycle import (
    ComplaintArchived,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintForwarded,
    ComplaintHeld,
    ComplaintReopened,
    ComplaintReporterReplied,
    ComplaintResponded,
    ComplaintRouted,
    DeadlineWarning,
)

HANDLED = (
    ComplaintAccepted, ComplaintRouted, ComplaintForwarded, ComplaintResponded, ComplaintReporterReplied,
    DeadlineWarning, ComplaintEscalated, ComplaintHeld, ComplaintArchived, ComplaintClosed, ComplaintReopened,
)
"""The lifecycle events notify consumes."""


@dataclass(frozen=True, slots=True)
class ComplaintView:
    """Notify's memory of a complaint (``complaints`` table): enough to word later messages."""

    complaint_id: UUID
    tracking_number: str | None = None
    title: str | None = None
    agency_id: str | None = None
    agency_name: str | None = None
    anonymous: bool = False
    confidential: bool = False
    closed_at: datetime | None = None
    """Set while the complaint is closed: its contact is kept only for the reopen window after it."""


@dataclass(frozen=True, slots=True)
class Planned:
    template: str
    recipient_kind: str  # reporter | officer | supervisor
    recipient_ref: str
    facts: dict[str, Any] = field(default_factory=dict)
    digestible: bool = False
    """Routine officer news that a recipient who chose a digest gets folded; deadlines and escalations
    always go at once."""


def reporter_of(complaint_id: UUID) -> str:
    """The reporter of a complaint, as a recipient: never the reporter ref (anonim reporters have none
    outside intake and the restricted topic)."""
    return f"complaint:{complaint_id}"


def agency(agency_id: str) -> str:
    return f"agency:{agency_id}"


def updated_view(envelope: Envelope[Any], view: ComplaintView | None) -> ComplaintView | None:
    """The projection after this event (None: nothing to remember)."""
    p = envelope.payload
    if envelope.complaint_id is None:
        return None
    current = view or ComplaintView(envelope.complaint_id, envelope.tracking_number)
    changes: dict[str, Any] = {}
    if envelope.tracking_number and envelope.tracking_number != current.tracking_number:
        changes["tracking_number"] = envelope.tracking_number
    if isinstance(p, ComplaintAccepted):
        changes.update(title=p.title, anonymous=p.anonymous, confidential=p.confidential)
    elif isinstance(p, ComplaintRouted):
        changes.update(title=p.title, agency_id=p.agency.agency_id, agency_name=p.agency.name,
                       anonymous=p.anonymous, confidential=p.confidential)
    elif isinstance(p, ComplaintForwarded):
        changes.update(agency_id=p.to_agency.agency_id, agency_name=p.to_agency.name)
    elif isinstance(p, ComplaintClosed):
        changes.update(closed_at=envelope.occurred_at)
    elif isinstance(p, ComplaintReopened):
        changes.update(closed_at=None)
    if not changes and view is not None:
        return None
    return replace(current, **changes)


def plan(envelope: Envelope[Any], view: ComplaintView) -> list[Planned]:
    """The messages ``envelope`` causes, given what notify knows of the complaint (after this event)."""
    p = envelope.payload
    base: dict[str, Any] = {
        "tracking_number": envelope.tracking_number or view.tracking_number or "-",
        "title": view.title or "",
        "agency_name": view.agency_name or "",
        "anonymous": view.anonymous,
        "confidential": view.confidential,
        "event_type": envelope.event_type,
    }
    reporter = reporter_of(view.complaint_id)

    def to_reporter(name: str, **facts: Any) -> Planned:
        return Planned(f"{name}.reporter", "reporter", reporter, {**base, **facts})

    def to_agency(name: str, agency_id: str | None, kind: str = "officer", *, digestible: bool = False,
                  **facts: Any) -> list[Planned]:
        if not agency_id:
            return []
        return [Planned(f"{name}.{kind}", kind, agency(agency_id), {**base, "agency_id": agency_id, **facts},
                        digestible)]

    if isinstance(p, ComplaintAccepted):  # the key goes into the slot at send time (``reporter_key``)
        return [to_reporter("complaint_accepted", reporter_key=reporter_key.SLOT)]
    if isinstance(p, ComplaintRouted):
        plans = [to_reporter("complaint_routed")] if p.route_count == 1 else []
        return plans + to_agency(
            "complaint_routed", p.agency.agency_id, digestible=True, category=p.category or "",
            location_text=p.location.text or p.location.region_code or "",
        )
    if isinstance(p, ComplaintForwarded):
        return [to_reporter("complaint_forwarded", from_agency_name=p.from_agency.name,
                            to_agency_name=p.to_agency.name, reason=p.reason.model_dump())]
    if isinstance(p, ComplaintResponded):
        return [to_reporter("complaint_responded", response_text=p.text)]
    if isinstance(p, ComplaintReporterReplied):
        return to_agency("complaint_reporter_replied", view.agency_id, digestible=True, reply_text=p.text)
    if isinstance(p, DeadlineWarning):
        return to_agency("complaint_deadline_warning", p.agency_id or view.agency_id, stage=p.stage,
                         due_at=_iso(p.due_at))
    if isinstance(p, ComplaintEscalated):
        facts: dict[str, Any] = {"from_agency_name": p.from_agency.name, "to_agency_name": p.to_agency.name,
                                 "stage": p.stage, "escalation_level": p.escalation_level}
        return [
            to_reporter("complaint_escalated", **facts),
            *to_agency("complaint_escalated", p.from_agency.agency_id, **facts),
            *to_agency("complaint_escalated", p.to_agency.agency_id, "supervisor", **facts),
        ]
    if isinstance(p, ComplaintHeld):
        return [to_reporter("complaint_held", reason=p.reason.model_dump())]
    if isinstance(p, ComplaintArchived):
        return [to_reporter("complaint_archived", reason=p.reason.model_dump())]
    if isinstance(p, ComplaintClosed):
        return [to_reporter("complaint_closed", closed_reason=p.reason)]
    if isinstance(p, ComplaintReopened):
        return [
            to_reporter("complaint_reopened"),
            *to_agency("complaint_reopened", view.agency_id, digestible=True, reopen_reason=p.reason or ""),
        ]
    return []


WEBHOOK_FACTS = ("event_type", "agency_id", "stage", "due_at", "escalation_level", "category", "closed_reason")


def webhook_data(facts: dict[str, Any]) -> dict[str, Any]:
    """The structured part of a webhook: codes and dates, no free text."""
    return {k: facts[k] for k in WEBHOOK_FACTS if k in facts}


def _iso(value: datetime) -> str:
    return value.isoformat()
