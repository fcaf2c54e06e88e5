"""Intake's SQL. Every function runs inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from lapor_shared.events.values import ReporterContact


async def next_tracking_value(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT nextval('tracking_seq')"))


async def insert_complaint(
    conn: asyncpg.Connection,
    *,
    complaint_id: UUID,
    tracking_number: str,
    channel: str,
    channel_message_id: str,
    report_type: str,
    title: str,
    region_code: str | None,
    anonymous: bool,
    confidential: bool,
    reporter_ref: UUID | None,
    submitted_at: datetime,
) -> bool:
    """Store a new complaint; False when this channel message already made one."""
    inserted = await conn.fetchval(
        """
        INSERT INTO complaints (complaint_id, tracking_number, channel, channel_message_id, report_type,
                                title, region_code, anonymous, confidential, reporter_ref, submitted_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (channel, channel_message_id) DO NOTHING
        RETURNING true
        """,
        complaint_id, tracking_number, channel, channel_message_id, report_type, title, region_code,
        anonymous, confidential, reporter_ref, submitted_at,
    )
    return bool(inserted)


async def insert_reporter(conn: asyncpg.Connection, reporter_ref: UUID, contact: ReporterContact) -> None:
    await conn.execute(
        "INSERT INTO reporters (reporter_ref, name, phone, email) VALUES ($1, $2, $3, $4)",
        reporter_ref, contact.name, contact.phone, contact.email,
    )


async def record_rejection(conn: asyncpg.Connection, channel: str, channel_message_id: str, reasons: list) -> bool:
    inserted = await conn.fetchval(
        "INSERT INTO rejections (channel, channel_message_id, reasons) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING RETURNING true",
        channel, channel_message_id, reasons,
    )
    return bool(inserted)


async def find_by_tracking_number(
    conn: asyncpg.Connection | asyncpg.Pool, tracking_number: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT complaint_id, tracking_number, channel, report_type, title, region_code, anonymous,"
        " confidential, submitted_at, accepted_at FROM complaints WHERE tracking_number = $1",
        tracking_number,
    )
