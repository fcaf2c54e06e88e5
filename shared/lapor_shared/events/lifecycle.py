"""A routed complaint's lifecycle: the events routing and followup publish on the complaint stream
and, for every jurisdiction level, on the jurisdiction topics.

None of these carry reporter contact details. ``confidential`` (rahasia) marks content that public
projections must withhold; ``anonymous`` (anonim) complaints carry no reporter reference at all.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from lapor_shared.events.envelope import Payload
from lapor_shared.events.values import AgencyRef, Attachment, Evidence, Location, Reason, ReportType, Value

Stage = Literal["verification", "acknowledgement", "follow_up", "auto_close", "resolution"]
CloseReason = Literal["resolved", "auto_close", "admin", "archived"]


class ComplaintRouted(Payload):
    """Routing decided which agency must answer, and why."""

    event_type: ClassVar[str] = "complaint.routed"

    agency: AgencyRef
    reason: Reason
    category: str | None
    report_type: ReportType
    title: str
    description: str
    incident_date: date | None = None
    location: Location
    attachments: list[Attachment] = []
    evidence: list[Evidence] = Field(
        default=[], description="Files the platform stores (lapor_shared.evidence): references, never URLs")
    reporter_ref: UUID | None = None
    anonymous: bool
    confidential: bool
    submitted_at: AwareDatetime
    route_count: int = Field(default=1, ge=1, description="1 for the first routing, +1 per forwarding")


class ComplaintForwarded(Payload):
    """Pelimpahan: an agency said 'bukan wewenang' and the complaint moved to another agency."""

    event_type: ClassVar[str] = "complaint.forwarded"

    from_agency: AgencyRef
    to_agency: AgencyRef
    reason: Reason


class ComplaintNeedsTriage(Payload):
    """Routing could not decide: an admin at ``triage_jurisdiction`` must."""

    event_type: ClassVar[str] = "complaint.needs_triage"

    triage_jurisdiction: str
    reason: Reason
    category: str | None = None
    report_type: ReportType
    title: str
    description: str
    location: Location
    anonymous: bool
    confidential: bool


class ComplaintHeld(Payload):
    event_type: ClassVar[str] = "complaint.held"
    reason: Reason
    by: str


class ComplaintArchived(Payload):
    event_type: ClassVar[str] = "complaint.archived"
    reason: Reason
    by: str


class ComplaintAcknowledged(Payload):
    event_type: ClassVar[str] = "complaint.acknowledged"
    agency_id: str
    officer_ref: str | None = None


class ComplaintResponded(Payload):
    """The agency's follow-up (tindak lanjut), visible to the reporter."""

    event_type: ClassVar[str] = "complaint.responded"
    agency_id: str
    text: str
    attachments: list[Attachment] = []
    evidence: list[Evidence] = Field(
        default=[], description="Files the platform stores (lapor_shared.evidence): references, never URLs")
    officer_ref: str | None = None


class ComplaintReporterReplied(Payload):
    event_type: ClassVar[str] = "complaint.reporter_replied"
    text: str
    attachments: list[Attachment] = []
    evidence: list[Evidence] = Field(
        default=[], description="Files the platform stores (lapor_shared.evidence): references, never URLs")


class ComplaintRated(Payload):
    event_type: ClassVar[str] = "complaint.rated"
    rating: int = Field(ge=1, le=5)
    comment: str | None = None


class DeadlineSet(Payload):
    """A clock started: ``agency_id`` owes ``stage`` by ``due_at`` under ``policy_version``."""

    event_type: ClassVar[str] = "complaint.deadline_set"
    stage: Stage
    agency_id: str | None
    due_at: AwareDatetime
    working_days: int
    policy_version: str


class DeadlineExtended(Payload):
    event_type: ClassVar[str] = "complaint.deadline_extended"
    stage: Stage
    agency_id: str
    due_at: AwareDatetime
    reason: str
    policy_version: str | None = Field(default=None, description="Deadline policy the complaint runs under")
    working_days: int | None = Field(default=None, description="Working days added by this extension")


class DeadlineWarning(Payload):
    event_type: ClassVar[str] = "complaint.deadline_warning"
    stage: Stage
    agency_id: str | None
    due_at: AwareDatetime
    policy_version: str | None = Field(default=None, description="Deadline policy the complaint runs under")
    working_days: int | None = Field(default=None, description="Working days the deadline was set to")


class DeadlineBreached(Payload):
    event_type: ClassVar[str] = "complaint.deadline_breached"
    stage: Stage
    agency_id: str | None
    due_at: AwareDatetime
    policy_version: str | None = Field(default=None, description="Deadline policy the complaint runs under")
    working_days: int | None = Field(default=None, description="Working days the missed deadline was set to")


class HistoryItem(Value):
    """One step of a complaint's lifecycle, as attached to an escalation: no content, no identities."""

    occurred_at: AwareDatetime
    event_type: str
    status: str
    agency_id: str | None = None


class ComplaintEscalated(Payload):
    """A missed deadline moved the complaint one level up; the original agency still owes the answer."""

    event_type: ClassVar[str] = "complaint.escalated"
    from_agency: AgencyRef
    to_agency: AgencyRef
    stage: Stage
    escalation_level: int = Field(ge=1)
    due_at: AwareDatetime | None = Field(
        default=None, description="When the complaint escalates again if still ignored (None at the top)"
    )
    policy_version: str | None = Field(default=None, description="Deadline policy the complaint runs under")
    working_days: int | None = Field(default=None, description="Working days this level has before due_at")
    history: list[HistoryItem] = Field(
        default=[], description="The complaint's lifecycle so far, without content or identities"
    )


class ComplaintClosed(Payload):
    event_type: ClassVar[str] = "complaint.closed"
    reason: CloseReason
    by: str
    reopen_until: AwareDatetime | None = Field(
        default=None, description="Until when the reporter may reopen it (None: the reporter may not)"
    )


class ComplaintReopened(Payload):
    event_type: ClassVar[str] = "complaint.reopened"
    by: str
    reason: str | None = None


class ActionRejected(Payload):
    """A command was refused (illegal transition, unknown complaint, not this agency's)."""

    event_type: ClassVar[str] = "complaint.action_rejected"
    command_type: str
    command_id: UUID
    reason: Reason
