"""The one interface every channel implements, and the two ways a send can fail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID


class TransientError(Exception):
    """Worth trying again later (network, timeout, 4xx-temporary, 429, 5xx)."""


class PermanentError(Exception):
    """Trying again cannot help (address refused, request rejected, contact unreadable)."""


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One delivery, resolved to an address just before sending. ``delivery_id`` is the idempotency key
    receivers may dedupe on (SMTP Message-ID, SMS reference, webhook header)."""

    delivery_id: UUID
    channel: str
    recipient_kind: str
    recipient_ref: str
    template: str
    subject: str
    body: str
    sms_text: str
    tracking_number: str | None
    complaint_id: UUID | None
    source_event_id: UUID
    source_event_type: str | None
    created_at: datetime
    to: str | None = None
    """E-mail address, phone number or webhook URL; None for the inbox."""
    secret: str | None = None
    """Webhook signing secret."""
    languages: tuple[str, ...] = ("id",)
    data: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # never print an address by accident
        return f"OutboundMessage(delivery_id={self.delivery_id}, channel={self.channel!r}, template={self.template!r})"


class Channel(Protocol):
    name: str

    async def send(self, message: OutboundMessage) -> None:
        """Deliver ``message`` or raise ``TransientError`` / ``PermanentError``."""
        ...
