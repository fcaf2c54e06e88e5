"""Intake's SQL (but accepting a submission's: ``admission``). Every function runs inside the caller's
transaction (or on the pool, for look-ups)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from lapor_shared.db import Conn, Executor

_IDENTITY_LOCK_CLASS = 0x1A7A
"""First key of the two-key advisory locks on reporter identities (no other lock uses it)."""

# --- a reporter's lock (the acceptance's own SQL: ``admission``) ---------------------------------


async def lock_identity(conn: Conn, lock_keys: list[int]) -> None:
    """Serialise this transaction with every other one of the same reporter until it ends.

    Keys are taken in ascending order, so two transactions never wait for each other in a cycle: one
    statement, whose function scan reads the sorted array in its order (``unnest`` reads elements in
    storage order) and takes each lock as it reads it.
    """
    await conn.execute("SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::int[]) AS k",
                       _IDENTITY_LOCK_CLASS, sorted(lock_keys))


async def prune_channel_counts(conn: Conn, *, window_s: int) -> int:
    """Delete the channel counters of windows that no sliding window reaches any more."""
    result = await conn.execute(
        "DELETE FROM channel_counts WHERE window_start < now() - make_interval(secs => $1)", float(2 * window_s)
    )
    return int(result.split()[-1])


async def prune_activity(conn: Conn, *, older_than_s: int, limit: int) -> int:
    """Delete at most ``limit`` activity rows older than every window (rows others hold are skipped)."""
    result = await conn.execute(
        """
        DELETE FROM reporter_activity WHERE ctid = ANY(ARRAY(
            SELECT ctid FROM reporter_activity
            WHERE accepted_at < now() - make_interval(secs => $1)
            LIMIT $2 FOR UPDATE SKIP LOCKED
        ))
        """,
        float(older_than_s), limit,
    )
    return int(result.split()[-1])


# --- reporters (contact details: here and nowhere else) --------------------------------------------


async def find_reporter(conn: Executor, reporter_ref: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT reporter_ref, name, phone, email, phone_hash, email_hash, created_at FROM reporters"
        " WHERE reporter_ref = $1",
        reporter_ref,
    )


async def complaint_of_tracking(conn: Conn, tracking_number: str) -> asyncpg.Record | None:
    """The reporter ref and responsible jurisdiction of the complaint with a canonical tracking number."""
    return await conn.fetchrow(
        "SELECT reporter_ref, jurisdiction_code FROM complaints WHERE tracking_number = $1", tracking_number
    )


async def jurisdiction_of_reporter(conn: Conn, reporter_ref: UUID) -> str | None:
    """The responsible jurisdiction of the complaint ``reporter_ref`` belongs to (None: not routed yet)."""
    return await conn.fetchval("SELECT jurisdiction_code FROM complaints WHERE reporter_ref = $1", reporter_ref)


async def set_jurisdictions(conn: Conn, complaint_ids: list[UUID], jurisdiction_codes: list[str]) -> None:
    """Each complaint's jurisdiction, in one statement (one code per complaint: the caller keeps the last)."""
    await conn.execute(
        "UPDATE complaints AS c SET jurisdiction_code = p.code"
        " FROM unnest($1::uuid[], $2::text[]) AS p(complaint_id, code) WHERE c.complaint_id = p.complaint_id",
        complaint_ids, jurisdiction_codes,
    )


async def reporter_ref_known(conn: Conn, reporter_ref: UUID) -> bool:
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM complaints WHERE reporter_ref = $1)"
        " OR EXISTS (SELECT 1 FROM reporters WHERE reporter_ref = $1)",
        reporter_ref,
    ))


async def lock_reporters_of_same_person(conn: Conn, reporter_ref: UUID) -> list[asyncpg.Record]:
    """Every contact row with the phone-number or e-mail hash of ``reporter_ref``'s row (itself included),
    locked for deletion, each with the complaint it belongs to."""
    return await conn.fetch(
        """
        WITH target AS (SELECT phone_hash, email_hash FROM reporters WHERE reporter_ref = $1)
        SELECT r.reporter_ref, r.phone_hash, r.email_hash, c.complaint_id, c.tracking_number
        FROM reporters AS r
        LEFT JOIN complaints AS c ON c.reporter_ref = r.reporter_ref
        WHERE r.reporter_ref = $1
           OR r.phone_hash = (SELECT phone_hash FROM target)
           OR r.email_hash = (SELECT email_hash FROM target)
        ORDER BY r.reporter_ref
        FOR UPDATE OF r
        """,
        reporter_ref,
    )


async def erase_reporters(
    conn: Conn, reporter_refs: list[UUID], hashes: list[bytes], command_id: UUID
) -> datetime:
    """Delete the contact rows and the activity rows of their hashes; remember the refs as erased."""
    await conn.execute("DELETE FROM reporters WHERE reporter_ref = ANY($1::uuid[])", reporter_refs)
    if hashes:
        await conn.execute("DELETE FROM reporter_activity WHERE identity_hash = ANY($1::bytea[])", hashes)
    return await conn.fetchval(
        """
        INSERT INTO erasures (reporter_ref, command_id)
        SELECT ref, $2 FROM unnest($1::uuid[]) AS ref
        ON CONFLICT (reporter_ref) DO UPDATE SET command_id = EXCLUDED.command_id
        RETURNING erased_at
        """,
        reporter_refs, command_id,
    )


async def find_erasure(conn: Conn, reporter_ref: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT e.erased_at, c.complaint_id, c.tracking_number FROM erasures AS e"
        " LEFT JOIN complaints AS c ON c.reporter_ref = e.reporter_ref WHERE e.reporter_ref = $1",
        reporter_ref,
    )


# --- rejections --------------------------------------------------------------------------------


async def record_rejection(
    conn: Conn, channel: str, channel_message_id: str, reasons: list
) -> int | None:
    """Keep the latest rejection of a channel message and return how many times it was rejected;
    None (and nothing recorded) when that message already became a complaint."""
    times = await conn.fetchval(
        """
        INSERT INTO rejections (channel, channel_message_id, reasons)
        SELECT $1::text, $2::text, $3::jsonb
        WHERE NOT EXISTS (SELECT 1 FROM complaints WHERE channel = $1 AND channel_message_id = $2)
        ON CONFLICT (channel, channel_message_id)
        DO UPDATE SET reasons = EXCLUDED.reasons, rejected_at = now(), times = rejections.times + 1
        RETURNING times
        """,
        channel, channel_message_id, reasons,
    )
    return None if times is None else int(times)
