"""Followup's SQL, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg


async def insert_complaint(
    conn: asyncpg.Connection,
    *,
    complaint_id: UUID,
    tracking_number: str,
    agency_id: str,
    jurisdiction_code: str,
    report_type: str,
    policy_version: str,
    anonymous: bool,
    confidential: bool,
    routed_at: datetime,
) -> bool:
    inserted = await conn.fetchval(
        """
        INSERT INTO complaints (complaint_id, tracking_number, agency_id, jurisdiction_code, report_type,
                                status, policy_version, anonymous, confidential, routed_at)
        VALUES ($1, $2, $3, $4, $5, 'routed', $6, $7, $8, $9)
        ON CONFLICT (complaint_id) DO NOTHING RETURNING true
        """,
        complaint_id, tracking_number, agency_id, jurisdiction_code, report_type, policy_version,
        anonymous, confidential, routed_at,
    )
    return bool(inserted)


async def add_timer(
    conn: asyncpg.Connection, *, complaint_id: UUID, stage: str, agency_id: str | None, due_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO timers (complaint_id, stage, agency_id, due_at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING",
        complaint_id, stage, agency_id, due_at,
    )
