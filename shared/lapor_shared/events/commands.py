"""Commands: what agencies, reporters and admins ask the platform to do (imperative names).

Each arrives in the same envelope as events, on its sender's own topic, and is validated by the owning
service against its state machine; a refusal is a ``complaint.action_rejected`` event, never a crash.
An agency writes to ``lapor.commands.agency.<its id>``, an admin to ``lapor.commands.admin.<its scope>``;
a command whose payload names another agency or scope than its topic is refused
(``lapor_shared.binding``), and an admin command about a complaint outside its scope too.
"""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from lapor_shared.events.envelope import Payload
from lapor_shared.events.values import AgencyLevel, Attachment, Evidence, Reason


class Command(Payload):
    kind: ClassVar[Literal["event", "command"]] = "command"


class AcknowledgeComplaint(Command):
    event_type: ClassVar[str] = "agency.acknowledge"
    agency_id: str
    officer_ref: str | None = None


class RespondToComplaint(Command):
    event_type: ClassVar[str] = "agency.respond"
    agency_id: str
    text: str = Field(min_length=1, max_length=10_000)
    attachments: list[Attachment] = []
    evidence: list[Evidence] = Field(
        default=[], description="Files the platform stores (lapor_shared.evidence): references, never URLs")
    internal_note: str | None = Field(default=None, description="Never shown to the reporter")
    officer_ref: str | None = None


class RequestExtension(Command):
    event_type: ClassVar[str] = "agency.request_extension"
    agency_id: str
    working_days: int = Field(ge=1, le=60)
    reason: str = Field(min_length=1, max_length=2_000)


class ResolveComplaint(Command):
    event_type: ClassVar[str] = "agency.resolve"
    agency_id: str
    text: str | None = None


class ForwardComplaint(Command):
    """Bukan wewenang: the agency names who should handle it instead."""

    event_type: ClassVar[str] = "agency.forward"
    agency_id: str
    to_agency_id: str
    reason: str = Field(min_length=1, max_length=2_000)


class ReplyToResponse(Command):
    event_type: ClassVar[str] = "reporter.reply"
    text: str = Field(min_length=1, max_length=10_000)
    attachments: list[Attachment] = []
    evidence: list[Evidence] = Field(
        default=[], description="Files the platform stores (lapor_shared.evidence): references, never URLs")


class RateHandling(Command):
    event_type: ClassVar[str] = "reporter.rate"
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2_000)


class ReopenComplaint(Command):
    event_type: ClassVar[str] = "reporter.reopen"
    reason: str | None = Field(default=None, max_length=2_000)


SCOPE_DESCRIPTION = ("The admin's scope, a jurisdiction code (ID, 18, 18.71): the command's topic is"
                     " lapor.commands.admin.<scope>, and a scope other than the topic's is refused")


class AdminCommand(Command):
    """An admin's command: sent on ``lapor.commands.admin.<scope>``; it may act on complaints of the scope
    and below only."""

    scope: str | None = Field(default=None, max_length=10, description=SCOPE_DESCRIPTION)


class DecideTriage(AdminCommand):
    """An admin's verdict on a complaint routing could not place."""

    event_type: ClassVar[str] = "admin.decide_triage"
    admin_ref: str
    decision: Literal["disposition", "hold", "archive"]
    agency_id: str | None = None
    reason: str = Field(min_length=1, max_length=2_000)


class AdminHold(AdminCommand):
    event_type: ClassVar[str] = "admin.hold"
    admin_ref: str
    reason: str


class AdminClose(AdminCommand):
    event_type: ClassVar[str] = "admin.close"
    admin_ref: str
    reason: str


class AdminReopen(AdminCommand):
    event_type: ClassVar[str] = "admin.reopen"
    admin_ref: str
    reason: str


class UpsertAgency(Command):
    """Add or change an agency in the registry at run time."""

    event_type: ClassVar[str] = "registry.upsert_agency"
    agency_id: str
    name: str
    level: AgencyLevel
    jurisdiction_code: str
    categories: list[str] = []
    parent_id: str | None = None
    channels: list[str] = []
    active: bool = True


class DeactivateAgency(Command):
    event_type: ClassVar[str] = "registry.deactivate_agency"
    agency_id: str
    reason: str | None = None


class AgencyChanged(Payload):
    """Routing applied a registry command: the agency as it now stands in the registry.

    Published on ``lapor.commands.registry`` (keyed by ``agency_id``) as the answer to
    ``registry.upsert_agency`` / ``registry.deactivate_agency``; ``command_id`` is the command's
    ``event_id``. Services that keep a copy of the registry follow these events.
    """

    event_type: ClassVar[str] = "registry.agency_changed"

    command_id: UUID
    agency_id: str
    name: str
    level: AgencyLevel
    jurisdiction_code: str
    categories: list[str] = []
    parent_id: str | None = None
    channels: list[str] = []
    active: bool


class RegistryCommandRejected(Payload):
    """Routing refused a registry command; nothing changed. ``reasons`` say why, per field.

    Published on ``lapor.commands.registry`` (keyed by ``agency_id``); ``command_id`` is the refused
    command's ``event_id``.
    """

    event_type: ClassVar[str] = "registry.command_rejected"

    command_type: str
    command_id: UUID
    agency_id: str
    reasons: list[Reason]
