"""Intake's side of the contract: what channel adapters publish and what intake answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from lapor_shared.events.envelope import Payload
from lapor_shared.events.values import (
    Attachment,
    Channel,
    Evidence,
    Location,
    Reason,
    ReporterContact,
    ReportType,
)


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
    evidence: list[Evidence] = Field(
        default=[], description="Files the platform stores (lapor_shared.evidence): references, never URLs")
    reporter: ReporterContact | None = None
    anonymous: bool = False
    confidential: bool = False
    submitted_at: datetime


class ComplaintAccepted(Payload):
    """Intake accepted a submission as a complaint. No contact details: only an opaque reporter ref,
    and none at all when the reporter chose ``anonim``. Only on ``lapor.complaints``, the platform's own
    stream: the channel's answer is ``submission.accepted``."""

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
    evidence: list[Evidence] = Field(
        default=[], description="Files the platform stores (lapor_shared.evidence): references, never URLs")
    reporter_ref: UUID | None = None
    anonymous: bool
    confidential: bool
    submitted_at: AwareDatetime
    possible_duplicate_of: UUID | None = None


class SubmissionAccepted(Payload):
    """Intake's answer to the channel: the submission became a complaint. On ``lapor.submissions.results``
    only, read by the channel adapters (each a trusted producer with a Kafka user of its own).

    Nothing of the complaint's content and nothing that names the reporter: what the channel shows the
    reporter (the tracking number and, once, the reporter's key) and what it checks before it publishes
    a reporter's command on ``lapor.commands.reporter`` (the key, and for SMS the sender's number). A
    channel that keeps the proof keeps ``lapor_shared.reporter_proof.verifier(reporter_key)``, never the
    key itself, and never logs it.
    """

    event_type: ClassVar[str] = "submission.accepted"

    channel: Channel
    channel_message_id: str
    complaint_id: UUID
    tracking_number: str
    reporter_key: str = Field(
        min_length=16, max_length=40,
        description="The reporter's key (kunci pelapor, 80 random bits, XXXX-XXXX-XXXX-XXXX): show it to the "
                    "reporter once; keep only its verifier",
    )
    reporter_phone_hash: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$",
        description="HMAC-SHA256 (LAPOR_REPORTER_HASH_KEY) of the reporter's phone number in E.164, hex; an SMS "
                    "from the number with this hash proves it comes from the reporter",
    )


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
    ``ciphertext`` is a ``lapor_shared.crypto.ContactCipher`` token of the ``ReporterContact`` JSON;
    ``key_ciphertext`` one of the reporter's key, which notify puts into the reporter's first message.
    """

    event_type: ClassVar[str] = "reporter.contact_shared"

    reporter_ref: UUID
    channel: Channel
    anonymous: bool = False
    key_id: str
    ciphertext: str = Field(description="Fernet token (base64) of the ReporterContact JSON")
    key_ciphertext: str | None = Field(
        default=None,
        description="Fernet token (same key) of the reporter's key, for the reporter's first message only",
    )


class ReporterContactErased(Payload):
    """The reporter asked to be forgotten: every holder deletes its copy of the contact details."""

    event_type: ClassVar[str] = "reporter.contact_erased"

    reporter_ref: UUID
    erased_at: AwareDatetime


class EraseReporterContact(Payload):
    """An admin, on the reporter's request, asks intake to forget the reporter's contact details.

    Names the reporter by ``reporter_ref`` or by a complaint's ``tracking_number`` (an anonim
    reporter's ref is known to nobody outside intake); intake erases every contact row with the same
    phone number or e-mail address, keeps only the opaque refs, and publishes ``reporter.contact_erased``
    for each. Published by an admin on ``lapor.commands.admin.<scope>`` (the admin side, though it names the
    reporter); a target intake does not know, or a complaint outside the scope, becomes
    ``complaint.action_rejected``.
    """

    event_type: ClassVar[str] = "reporter.erase_contact"
    kind: ClassVar[Literal["event", "command"]] = "command"

    reporter_ref: UUID | None = None
    tracking_number: str | None = Field(default=None, max_length=40)
    requested_by: str = Field(min_length=1, max_length=200, description="The admin who handles the request")
    reason: str | None = Field(default=None, max_length=2_000)
    scope: str | None = Field(
        default=None, max_length=10,
        description="The admin's scope, a jurisdiction code: the command's topic is lapor.commands.admin.<scope>,"
        " and a scope other than the topic's is refused",
    )
