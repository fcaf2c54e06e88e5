"""Retention of evidence (docs/privacy.md, "Evidence"). The files of a submission intake *rejected* are
deleted once the gateway recorded the rejection (a claim record kept beside them at claiming says which
files a channel message named; ``settle_claims``). An archived complaint's files are deleted
``archived_retention_s`` after it was archived (by default 90 days, the retention of ``lapor.complaints``,
so that no event the platform still holds names a file that is gone), their thumbnails with them, and
their references leave the public view and the reporter's timeline, so no page offers a dead link.

The gateway learns of the archiving from the reporter's timeline it already keeps (an ``archived``
step), and finds there every file the complaint's events named (its submission, the agency's responses,
the reporter's replies).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from lapor_gateway import repository as repo
from lapor_gateway.evidence_view import references
from lapor_shared.events.values import Evidence
from lapor_shared.evidence import EvidenceUploads, ObjectNotFound
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


CLAIMS = "claims"
SETTLE_AFTER_S = 30.0
"""A claim record is looked at this long after it was written (the answer usually came by then), or after
the orphan age when that is shorter."""


def _claim_key(channel: str, channel_message_id: str) -> str:
    digest = hashlib.sha256("\n".join((channel, channel_message_id)).encode()).hexdigest()
    return f"{CLAIMS}/{digest}.json"


async def record_claim(uploads: EvidenceUploads, channel: str, channel_message_id: str,
                       items: Sequence[Evidence]) -> None:
    """Which files this channel message names, kept until intake's answer settles it."""
    record = {"channel": channel, "channel_message_id": channel_message_id,
              "evidence": [e.model_dump(mode="json") for e in items]}
    await uploads.store.put(_claim_key(channel, channel_message_id), json.dumps(record).encode())


async def settle_claims(pool: asyncpg.Pool, uploads: EvidenceUploads, *, orphan_age_s: float) -> int:
    """Delete the files of rejected submissions (and of those never recorded, after ``orphan_age_s``: the
    publish failed and the client did not come back); forget the claim records of accepted ones."""
    now = datetime.now(UTC)
    removed = 0
    for key in await uploads.store.list_older_than(CLAIMS, now - timedelta(seconds=min(SETTLE_AFTER_S,
                                                                                            orphan_age_s))):
        try:
            record = json.loads(await uploads.store.get(key))
        except (ObjectNotFound, ValueError):
            continue
        row = await repo.get_submission(pool, record["channel"], record["channel_message_id"])
        if row is not None and row["outcome"] == "pending":
            continue
        if row is None and not await _older(uploads, key, now - timedelta(seconds=orphan_age_s)):
            continue
        if row is None or row["outcome"] == "rejected":
            await uploads.remove([Evidence.model_validate(e) for e in record["evidence"]])
            removed += 1
        await uploads.store.delete(key)
    if removed:
        log.info("evidence_of_rejected_submissions_removed", submissions=removed)
    return removed


async def _older(uploads: EvidenceUploads, key: str, before: datetime) -> bool:
    return key in await uploads.store.list_older_than(CLAIMS, before)
