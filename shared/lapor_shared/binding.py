"""Commands bound to their senders by the infrastructure: the topic a command arrives on says who sent it.

An agency writes only to ``lapor.commands.agency.<its id>`` and an admin only to
``lapor.commands.admin.<its scope>``: each topic is writable by its owner's Kafka user alone (literal ACLs,
``lapor_shared.access``). A consumer therefore knows the sender from the record's topic (``Tx.source``)
and holds the payload to it:

- ``bound(handler)``: a command whose payload names another agency (``agency_id``) or another scope
  (``scope``) than its topic is refused, whatever the handler would do;
- ``refused_outside_scope(tx, envelope, code)``: an admin command about a complaint whose jurisdiction is
  not the admin's scope nor below it is refused.

A refusal is a ``complaint.action_rejected`` on ``lapor.complaints`` only (the platform's audit stream: no
agency-readable topic learns of the attempt), one security log line (warning; the topic, the claim and
the event id, no personal data) and ``lapor_commands_impersonation_refused_total{kind}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from lapor_shared.deadletter import clean_text
from lapor_shared.events import Envelope
from lapor_shared.events.lifecycle import ActionRejected
from lapor_shared.events.values import NATIONAL_CODE, Reason, reason
from lapor_shared.logging import get_logger
from lapor_shared.regions import is_known
from lapor_shared.topics import family_of, sender_kind
from lapor_shared.tx import Handler, Tx

log = get_logger(component="binding")

Kind = Literal["agency", "admin"]


@dataclass(frozen=True, slots=True)
class Sender:
    """Who a command topic belongs to: an agency (by id) or the admins of a scope (a jurisdiction code)."""

    kind: Kind
    name: str


def sender_of(topic: str) -> Sender | None:
    """``lapor.commands.agency.pu.18.71`` → agency ``pu.18.71``; ``lapor.commands.admin.18`` → admin ``18``."""
    kinds: tuple[Kind, ...] = ("agency", "admin")
    for kind in kinds:
        owner = family_of(kind).owner_of(topic)
        if owner is not None:
            return Sender(kind, owner)
    return None


def claimed(envelope: Envelope[Any]) -> str | None:
    """The sender a command's payload names: its ``agency_id``, or its ``scope`` (None: none named)."""
    kind = sender_kind(envelope.event_type)
    if kind == "agency":
        return str(envelope.payload.agency_id)
    if kind == "admin":
        return getattr(envelope.payload, "scope", None)
    return None


def scope_of(tx: Tx) -> str | None:
    """The scope of the admin whose topic the message being handled came on (None: not an admin topic)."""
    sender = sender_of(tx.source.topic) if tx.source is not None else None
    if sender is None or sender.kind != "admin" or not is_known(sender.name):
        return None
    return sender.name


def within(scope: str, code: str | None) -> bool:
    """Whether a complaint at ``code`` is the scope's: the nation covers all, a province its regencies."""
    if scope == NATIONAL_CODE:
        return True
    return code is not None and (code == scope or code.startswith(f"{scope}."))


def bound(handler: Handler) -> Handler:
    """``handler`` taking agency and admin commands only from the sender their payload names."""

    async def checked(tx: Tx, envelope: Envelope[Any]) -> None:
        kind = sender_kind(envelope.event_type)
        if kind is not None:
            sender = sender_of(tx.source.topic) if tx.source is not None else None
            claim = claimed(envelope)
            genuine = (sender is not None and sender.kind == kind and (claim is None or claim == sender.name)
                       and (kind == "agency" or is_known(sender.name)))
            if not genuine:
                await _refuse(tx, envelope, kind, _mismatch(kind), claim=claim)
                return
        await handler(tx, envelope)

    return checked


async def refused_outside_scope(tx: Tx, envelope: Envelope[Any], code: str | None) -> bool:
    """Refuse (True) an admin command about a complaint at ``code`` outside the admin's scope."""
    scope = scope_of(tx)
    if scope is not None and within(scope, code):
        return False
    await _refuse(tx, envelope, "admin_scope", reason(
        "outside_scope", field="complaint_id",
        message_id="Laporan ini berada di luar wilayah kewenangan admin pengirim perintah.",
        message_en="The complaint lies outside the jurisdiction of the admin who sent the command.",
    ), claim=None, scope=scope, jurisdiction_code=code)
    return True


def _mismatch(kind: Kind) -> Reason:
    if kind == "agency":
        return reason(
            "sender_mismatch", field="payload.agency_id",
            message_id="Perintah ini menyebut instansi lain daripada instansi pengirimnya (topiknya); setiap"
                       " instansi hanya dapat bertindak atas namanya sendiri.",
            message_en="This command names another agency than the one that sent it (its topic); an agency may"
                       " act only as itself.",
        )
    return reason(
        "sender_mismatch", field="payload.scope",
        message_id="Perintah ini menyebut wilayah kewenangan lain daripada admin pengirimnya (topiknya).",
        message_en="This command names another scope than the admin who sent it (its topic).",
    )


async def _refuse(tx: Tx, envelope: Envelope[Any], kind: str, why: Reason, *, claim: str | None,
                  **facts: Any) -> None:
    await tx.emit(
        ActionRejected(command_type=envelope.event_type, command_id=envelope.event_id, reason=why),
        caused_by=None, complaint_id=envelope.complaint_id, tracking_number=envelope.tracking_number,
        correlation_id=envelope.correlation_id, causation_id=envelope.event_id,
    )
    log.warning("command_impersonation_refused" if why.code == "sender_mismatch" else "command_outside_scope_refused",
                kind=kind, code=why.code, topic=tx.source.topic if tx.source else None,
                claimed=clean_text(claim, 100) if claim is not None else None, event_id=str(envelope.event_id),
                command_type=envelope.event_type, **facts)
    if tx.metrics is not None:
        tx.metrics.refused_impersonation(kind)
