"""Routing's SQL, inside the caller's transaction."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from lapor_shared.events.values import Reason


async def record_decision(
    conn: asyncpg.Connection,
    *,
    complaint_id: UUID,
    tracking_number: str,
    agency_id: str | None,
    jurisdiction_code: str,
    reason: Reason,
    anonymous: bool,
    confidential: bool,
) -> bool:
    """Store the decision; False when this complaint was already routed."""
    inserted = await conn.fetchval(
        """
        INSERT INTO routing_decisions (complaint_id, tracking_number, agency_id, jurisdiction_code,
                                       reason_code, reason, anonymous, confidential)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (complaint_id) DO NOTHING RETURNING true
        """,
        complaint_id, tracking_number, agency_id, jurisdiction_code, reason.code, reason.model_dump(),
        anonymous, confidential,
    )
    return bool(inserted)
