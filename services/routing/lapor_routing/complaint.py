"""What routing knows of a complaint between its events: the content it routes again (``Content``) and
the ids every event about it carries (``Story``); and an accepted complaint's routing, decided and not yet
stored (``Route``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from lapor_routing.registry import Agency
from lapor_routing.rules import Decision
from lapor_shared.consumer import Tx
from lapor_shared.events import Envelope
from lapor_shared.events.lifecycle import ComplaintNeedsTriage, ComplaintRouted
from lapor_shared.events.values import Attachment, Evidence, Location, Reason, ReportType


class Content(BaseModel):
    """What routing keeps of a complaint to route it again. No reporter_ref for an anonim reporter."""

    model_config = ConfigDict(frozen=True)

    category: str
    report_type: ReportType
    title: str
    description: str
    incident_date: date | None = None
    location: Location
    attachments: list[Attachment] = []
    evidence: list[Evidence] = []
    reporter_ref: UUID | None = None
    anonymous: bool
    confidential: bool
    submitted_at: AwareDatetime

    def routed(self, agency: Agency, reason: Reason, route_count: int) -> ComplaintRouted:
        return ComplaintRouted(
            agency=agency.ref(), reason=reason, category=self.category, report_type=self.report_type,
            title=self.title, description=self.description, incident_date=self.incident_date,
            location=self.location, attachments=self.attachments, evidence=self.evidence,
            reporter_ref=None if self.anonymous else self.reporter_ref,
            anonymous=self.anonymous, confidential=self.confidential, submitted_at=self.submitted_at,
            route_count=route_count,
        )

    def needs_triage(self, triage_jurisdiction: str, reason: Reason) -> ComplaintNeedsTriage:
        return ComplaintNeedsTriage(
            triage_jurisdiction=triage_jurisdiction, reason=reason, category=self.category,
            report_type=self.report_type, title=self.title, description=self.description, location=self.location,
            anonymous=self.anonymous, confidential=self.confidential,
        )


@dataclass(frozen=True, slots=True)
class Story:
    """The ids every event about one complaint carries, and whether it is rahasia (None: not known)."""

    complaint_id: UUID
    tracking_number: str
    correlation_id: UUID
    confidential: bool | None

    def at(self, jurisdiction: str, agency_id: str | None = None) -> dict[str, Any]:
        """The envelope fields of an event of this story for ``agency_id`` at ``jurisdiction`` (no agency:
        the triage desk there): it goes to the complaint stream, that jurisdiction's shared topic (without
        a rahasia complaint's content) and the agency's (or the desk's) own stream."""
        return {"complaint_id": self.complaint_id, "tracking_number": self.tracking_number,
                "correlation_id": self.correlation_id, "jurisdiction_code": jurisdiction, "agency_id": agency_id,
                "confidential": self.confidential}


def story_of(row: Any, envelope: Envelope[Any]) -> Story:
    """The complaint's own ids when routing knows it, else those the command claimed (rahasia unknown)."""
    if row is not None:
        return Story(row["complaint_id"], row["tracking_number"], row["correlation_id"], row["confidential"])
    # only the refusal of a command that names no complaint gets here without one; the refusal then names none
    return Story(envelope.complaint_id, envelope.tracking_number or "", envelope.correlation_id, None)  # type: ignore[arg-type]


@dataclass
class Route:
    """One accepted complaint's routing, decided, before it is stored."""

    tx: Tx
    story: Story
    content: Content
    decision: Decision
    first: bool = True
    """The run's first event for this complaint (a later one finds it routed, as one by one)."""

    def row(self) -> dict[str, Any]:
        d = self.decision
        return {"complaint_id": self.story.complaint_id, "tracking_number": self.story.tracking_number,
                "correlation_id": self.story.correlation_id, "status": "triage" if d.needs_triage else "routed",
                "agency_id": d.agency.agency_id if d.agency else None, "jurisdiction_code": d.jurisdiction_code,
                "route_count": 0 if d.needs_triage else 1, "content": self.content.model_dump(mode="json"),
                "anonymous": self.content.anonymous, "confidential": self.content.confidential}

    def decision_row(self) -> dict[str, Any]:
        d = self.decision
        return {"complaint_id": self.story.complaint_id, "tracking_number": self.story.tracking_number,
                "step": "accepted", "outcome": "triage" if d.needs_triage else "routed",
                "agency_id": d.agency.agency_id if d.agency else None, "jurisdiction_code": d.jurisdiction_code,
                "reason": d.reason, "route_count": None if d.needs_triage else 1,
                "anonymous": self.content.anonymous, "confidential": self.content.confidential, "actor": None,
                "cause_event_id": self.tx.cause.event_id if self.tx.cause else None}
