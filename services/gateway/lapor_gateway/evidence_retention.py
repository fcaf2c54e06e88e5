"""Retention of evidence (docs/privacy.md, "Evidence"): an archived complaint's files are deleted
``archived_retention_s`` after it was archived (by default 90 days, the retention of ``lapor.complaints``,
so that no event the platform still holds names a file that is gone), their thumbnails with them, and
their references leave the public view and the reporter's timeline, so no page offers a dead link.

The gateway learns of the archiving from the reporter's timeline it already keeps (an ``archived``
step), and finds there every file the complaint's events named (its submission, the agency's responses,
the reporter's replies).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from lapor_gateway.evidence_view import references
from lapor_shared.events.values import Evidence
from lapor_shared.evidence import EvidenceUploads
from lapor_shared.logging import get_logger

log = get_logger(component="gateway.evidence")

_DUE = """
SELECT DISTINCT a.complaint_id FROM reporter_timeline a
 WHERE a.kind = 'archived' AND a.occurred_at < $1
   AND EXISTS (SELECT 1 FROM reporter_timeline s WHERE s.complaint_id = a.complaint_id AND s.facts ? 'evidence')
 LIMIT $2
"""


async def expire_archived(pool: asyncpg.Pool, uploads: EvidenceUploads, *, archived_before: datetime,
                          batch: int = 100) -> int:
    """Delete the files of complaints archived before ``archived_before``; how many complaints."""
    due: list[UUID] = [r["complaint_id"] for r in await pool.fetch(_DUE, archived_before, batch)]
    for complaint_id in due:
        rows = await pool.fetch("SELECT facts->'evidence' AS evidence FROM reporter_timeline"
                                " WHERE complaint_id = $1 AND facts ? 'evidence'", complaint_id)
        items = [Evidence.model_validate(e) for row in rows for e in references(row["evidence"])]
        await uploads.remove(items)  # files first: a crash before the rows change only repeats this
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("UPDATE reporter_timeline SET facts = facts - 'evidence' WHERE complaint_id = $1",
                               complaint_id)
            await conn.execute("UPDATE complaint_view SET evidence = '[]'::jsonb WHERE complaint_id = $1",
                               complaint_id)
        log.info("evidence_retention_expired", files=len(items))
    return len(due)
