"""Intake's side of the contract: what channel adapters publish and what intake answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from lapor_shared.events.envelope import Payload
from lapor_shared.events.values import Attachment, Channel, Location, Reason, ReporterContact, ReportType


class ComplaintSubmitted(Payload):
    """A citizen submitted something on a channel; the adapter publishes it as it arrived.

    Deliberately loose: intake, not the wire format, decides what is acceptable, so that every
    problem becomes a clear ``complaint.rejected`` answer instead of an undecodable message.
    """

    event_type: ClassVar[str] = "complaint.submitted"

    channel: Channel
    channel_message_id: str = Field(min_length=1, max_length=200)
    report_type: str = ReportType.PENGADUAN.value
    title: str = ""
    description: str = ""
    incident_date: date | None = None
    location: Location = Location()
    category_hint: str | None = None
    target_agency_hint: str | None = None
    attachments: list[Attachment] = []
    reporter: ReporterContact | None = None
    anonymous: bool = False
    confidential: bool = False
    submitted_at: datetime


class ComplaintAccepted(Payload):
    """Intake accepted a submission as a complaint. No contact details: only an opaque reporter ref,
    and none at all when the reporter chose ``anonim``."""

    event_type: ClassVar[str] = "complaint.accepted"

    channel: Channel
    channel_message_id: str
    report_type: ReportType
    title: str
    description: str
    incident_date: date | None = None
    location: Location
    category_hint: str | None = None
    target_agency_hint: str | None = None
    attachments: list[Attachment] = []
    reporter_ref: UUID | None = None
    anonymous: bool
    confidential: bool
    submitted_at: AwareDatetime
    possible_duplicate_of: UUID | None = None


class ComplaintRejected(Payload):
    """Intake refused a submission; the channel reads why, by its own message id."""

    event_type: ClassVar[str] = "complaint.rejected"

    channel: Channel | str
    channel_message_id: str
    reasons: list[Reason]


class ReporterContactShared(Payload):
    """A reporter's contact details, encrypted for notify. Only on the restricted contacts topic.

    One per accepted complaint whose reporter left contact details (anonim reporters too: notify must
    still reach them); the envelope's ``complaint_id`` says which complaint it belongs to.
    ``ciphertext`` is a ``lapor_shared.crypto.ContactCipher`` token of the ``ReporterContact`` JSON.
    """

    event_type: ClassVar[str] = "reporter.contact_shared"

    reporter_ref: UUID
    channel: Channel
    anonymous: bool = False
    key_id: str
    ciphertext: str = Field(description="Fernet token (base64) of the ReporterContact JSON")


class ReporterContactErased(Payload):
    """The reporter asked to be forgotten: every holder deletes its copy of the contact details."""

    event_type: ClassVar[str] = "reporter.contact_erased"

    reporter_ref: UUID
    erased_at: AwareDatetime
