"""The gateway's SQL, on its own tables only: ``submissions`` and ``answers`` (what it published and
what intake answered), ``complaint_view`` (the public projection) and ``sms_outbox``.

Every function takes a connection or the pool (``Executor``) and runs inside the caller's transaction
when given one.
"""

from __future__ import annotations

import json
from datetime import datetime

import asyncpg

from lapor_shared.db import Executor

# --- submissions the gateway published, and their answers ----------------------------------------

_SUBMISSION = (
    "SELECT s.channel, s.channel_message_id, s.source, s.poll_token, s.fingerprint, s.reply_to, s.created_at,"
    " s.published_at, COALESCE(a.outcome, 'pending') AS outcome, a.tracking_number, a.complaint_id, a.reasons,"
    " a.answered_at AS decided_at"
    " FROM submissions s LEFT JOIN answers a USING (channel, channel_message_id)"
)


async def lock_channel_message(conn: Executor, channel: str, channel_message_id: str) -> None:
    """Serialise, until the transaction ends, whoever records or reads the answer of this channel message
    (the results consumer and a request inserting the submission): the second one sees the first's rows."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                       f"gateway-answer:{channel}:{channel_message_id}")


async def insert_submission(
    conn: Executor, *, channel: str, channel_message_id: str, source: str, poll_token: str, fingerprint: str,
    reply_to: str | None = None,
) -> bool:
    """Remember a submission before publishing it; False when this channel message is already known."""
    inserted = await conn.fetchval(
        "INSERT INTO submissions (channel, channel_message_id, source, poll_token, fingerprint, reply_to)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true",
        channel, channel_message_id, source, poll_token, fingerprint, reply_to,
    )
    return bool(inserted)


async def mark_published(conn: Executor, channel: str, channel_message_id: str) -> None:
    await conn.execute(
        "UPDATE submissions SET published_at = now() WHERE channel = $1 AND channel_message_id = $2",
        channel, channel_message_id,
    )


async def forget_unpublished(conn: Executor, channel: str, channel_message_id: str) -> None:
    """The publish failed: forget the submission so that the client's retry publishes afresh."""
    await conn.execute(
        "DELETE FROM submissions WHERE channel = $1 AND channel_message_id = $2 AND published_at IS NULL",
        channel, channel_message_id,
    )


async def get_submission(conn: Executor, channel: str, channel_message_id: str) -> asyncpg.Record | None:
    """The submission with its outcome (``pending`` while no answer is recorded)."""
    return await conn.fetchrow(f"{_SUBMISSION} WHERE s.channel = $1 AND s.channel_message_id = $2",
                               channel, channel_message_id)


async def submission_by_token(conn: Executor, poll_token: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{_SUBMISSION} WHERE s.poll_token = $1", poll_token)


async def sms_reply_due(conn: Executor, channel: str, channel_message_id: str) -> asyncpg.Record | None:
    """An SMS submission whose answer is known and whose reply is not queued yet (it still has its number)."""
    return await conn.fetchrow(
        "SELECT s.reply_to, a.outcome, a.tracking_number, a.reasons"
        " FROM submissions s JOIN answers a USING (channel, channel_message_id)"
        " WHERE s.channel = $1 AND s.channel_message_id = $2 AND s.source = 'sms' AND s.reply_to IS NOT NULL",
        channel, channel_message_id,
    )


async def notify_answered(conn: Executor, channel_name: str, channel: str, channel_message_id: str) -> None:
    """Wake, at commit, every replica waiting for this channel message's answer (``wakeups``)."""
    await conn.execute("SELECT pg_notify($1, $2)", channel_name, json.dumps([channel, channel_message_id]))


# --- the public complaint view (projected from lapor.complaints) ---------------------------------

_VIEW_COLUMNS = (
    "complaint_id, tracking_number, channel, report_type, service_code, title, description, address, latitude,"
    " longitude, media_url, region_code, confidential, anonymous, agency_name, lifecycle_status, open311_status,"
    " status_notes, requested_at, updated_at, expected_at, evidence"
)


async def view_by_tracking_number(conn: Executor, tracking_number: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_VIEW_COLUMNS} FROM complaint_view WHERE tracking_number = $1", tracking_number
    )


async def public_requests(
    conn: Executor, *, tracking_numbers: list[str] | None = None, service_codes: list[str] | None = None,
    statuses: list[str] | None = None, start: datetime | None = None, end: datetime | None = None,
    region_code: str | None = None, limit: int = 1000,
) -> list[asyncpg.Record]:
    """Complaints the public may see: never a confidential one, never one whose content is unknown;
    with ``region_code``, only those in that region or inside it (``18`` holds ``18.71``)."""
    return await conn.fetch(
        f"SELECT {_VIEW_COLUMNS} FROM complaint_view"
        " WHERE NOT confidential AND requested_at IS NOT NULL"
        " AND ($1::text[] IS NULL OR tracking_number = ANY($1))"
        " AND ($2::text[] IS NULL OR service_code = ANY($2))"
        " AND ($3::text[] IS NULL OR open311_status = ANY($3))"
        " AND ($4::timestamptz IS NULL OR requested_at >= $4)"
        " AND ($5::timestamptz IS NULL OR requested_at <= $5)"
        " AND ($7::text IS NULL OR region_code = $7 OR region_code LIKE $7 || '.%')"
        " ORDER BY requested_at DESC LIMIT $6",
        tracking_numbers, service_codes, statuses, start, end, limit, region_code,
    )


# --- SMS replies ----------------------------------------------------------------------------------


async def queue_sms(conn: Executor, *, in_reply_to: str, kind: str, to_phone: str, body: str) -> bool:
    """Queue a reply once per inbound message and kind; False when it was already queued."""
    inserted = await conn.fetchval(
        "INSERT INTO sms_outbox (in_reply_to, kind, to_phone, body) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING RETURNING true",
        in_reply_to, kind, to_phone, body,
    )
    return bool(inserted)


async def unsent_sms(conn: Executor, limit: int = 100) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, in_reply_to, kind, to_phone, body, created_at FROM sms_outbox"
        " WHERE sent_at IS NULL ORDER BY id LIMIT $1",
        limit,
    )


_REPORTER_KEY_IN_TEXT = r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}(?![0-9A-Z])"


async def mark_sms_sent(conn: Executor, sms_id: int) -> bool:
    """Mark a reply sent, forget the number and the reporter's key the reply showed; False when there is no
    such unsent reply."""
    updated = await conn.fetchval(
        "UPDATE sms_outbox SET sent_at = now(), to_phone = NULL,"
        " body = regexp_replace(body, $2, '[kunci]', 'g') WHERE id = $1 AND sent_at IS NULL RETURNING true",
        sms_id, _REPORTER_KEY_IN_TEXT,
    )
    return bool(updated)


async def forget_reply_to(conn: Executor, channel: str, channel_message_id: str) -> None:
    """The reply is queued: the submission row no longer needs the sender's number."""
    await conn.execute(
        "UPDATE submissions SET reply_to = NULL WHERE channel = $1 AND channel_message_id = $2",
        channel, channel_message_id,
    )
