"""Notify's SQL, inside the caller's transaction."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from lapor_notify.templates import Message


async def record(
    conn: asyncpg.Connection,
    *,
    notification_id: UUID,
    source_event_id: UUID,
    complaint_id: UUID | None,
    tracking_number: str | None,
    message: Message,
) -> bool:
    """Record a notification; False when this (event, recipient, channel) was already notified."""
    inserted = await conn.fetchval(
        """
        INSERT INTO notifications (notification_id, source_event_id, complaint_id, tracking_number,
                                   recipient_kind, recipient_ref, channel, template, subject, body)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (source_event_id, recipient_ref, channel) DO NOTHING RETURNING true
        """,
        notification_id, source_event_id, complaint_id, tracking_number, message.recipient_kind,
        message.recipient_ref, message.channel, message.template, message.subject, message.body,
    )
    return bool(inserted)
