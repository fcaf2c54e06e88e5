"""Signed webhooks to agency systems.

Each POST carries a JSON body and
- ``X-Lapor-Timestamp``: Unix seconds when it was signed;
- ``X-Lapor-Signature``: ``sha256=`` + hex HMAC-SHA256 with the recipient's secret over
  ``timestamp + "." + body`` (the raw body bytes);
- ``X-Lapor-Delivery`` and ``Idempotency-Key``: the delivery id; a resend (after a crash mid-send)
  carries the same id, so receivers dedupe on it.
Receivers verify with :func:`verify` (constant-time compare, bounded clock skew).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx

from lapor_notify.channels.base import OutboundMessage, PermanentError
from lapor_notify.channels.http import post
from lapor_notify.settings import WebhookSettings

SIGNATURE_HEADER = "X-Lapor-Signature"
TIMESTAMP_HEADER = "X-Lapor-Timestamp"
DELIVERY_HEADER = "X-Lapor-Delivery"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance_s: float = 300.0,
           now: float | None = None) -> bool:
    """True when ``signature`` is ours for this body and the timestamp is within ``tolerance_s``."""
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance_s and hmac.compare_digest(sign(secret, timestamp, body), signature)


def body_of(message: OutboundMessage) -> bytes:
    """The webhook document: what happened, for whom (an agency), in both languages. Never a reporter's
    identity: webhooks go to agencies only, and their messages are rendered from lifecycle events."""
    document = {
        "delivery_id": str(message.delivery_id),
        "template": message.template,
        "source_event_id": str(message.source_event_id),
        "source_event_type": message.source_event_type,
        "complaint_id": str(message.complaint_id) if message.complaint_id else None,
        "tracking_number": message.tracking_number,
        "recipient_ref": message.recipient_ref,
        "created_at": message.created_at.isoformat(),
        "languages": list(message.languages),
        "subject": message.subject,
        "text": message.body,
        "data": message.data,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str).encode()


class WebhookChannel:
    name = "webhook"

    def __init__(self, settings: WebhookSettings, client: httpx.AsyncClient) -> None:
        self._settings = settings
        self._client = client

    async def send(self, message: OutboundMessage) -> None:
        if not message.to or not message.secret:
            raise PermanentError("webhook URL or secret missing")
        body = body_of(message)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(message.secret, timestamp, body),
            DELIVERY_HEADER: str(message.delivery_id),
            "Idempotency-Key": str(message.delivery_id),
            "X-Lapor-Template": message.template,
            "User-Agent": "LAPOR-notify/1",
        }
        await post(self._client, message.to, timeout=self._settings.timeout_s, headers=headers, content=body,
                   what="webhook")
