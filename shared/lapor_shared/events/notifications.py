"""What notify reports about the messages it sends."""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from lapor_shared.events.envelope import Payload
from lapor_shared.events.values import Reason

RecipientKind = Literal["reporter", "officer", "supervisor"]


class NotificationSent(Payload):
    event_type: ClassVar[str] = "notification.sent"
    notification_id: UUID
    source_event_id: UUID
    recipient_kind: RecipientKind
    recipient_ref: str
    channel: str
    template: str


class NotificationFailed(Payload):
    event_type: ClassVar[str] = "notification.failed"
    notification_id: UUID
    source_event_id: UUID
    recipient_kind: RecipientKind
    recipient_ref: str
    channel: str
    template: str
    attempts: int
    reason: Reason
