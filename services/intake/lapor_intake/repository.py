"""Intake's SQL. Every function runs inside the caller's transaction (or on the pool, for look-ups)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from lapor_shared.db import Conn, Executor
from lapor_shared.events.values import ReporterContact

_IDENTITY_LOCK_CLASS = 0x1A7A
"""First key of the two-key advisory locks on reporter identities (no other lock uses it)."""

_SHARDS = 16
"""Rows a channel's window is counted in: each connection its own (backend pid modulo this), so concurrent
transactions of one channel never wait for one another's counter."""
_WINDOW_START = "to_timestamp(floor(extract(epoch FROM now()) / {window}) * {window})"
"""The start of the fixed window (of ``{window}`` seconds) that the transaction's time falls in."""

_COMPLAINT_COLUMNS = (
    "complaint_id, tracking_number, channel, channel_message_id, report_type, title, region_code, anonymous,"
    " confidential, submitted_at, accepted_at, possible_duplicate_of"
)


# --- complaints --------------------------------------------------------------------------------


async def insert_complaint(
    conn: Conn,
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
    text_fingerprint: str | None = None,
    possible_duplicate_of: UUID | None = None,
    submission_event_id: UUID | None = None,
    channel_window_s: int = 60,
) -> bool:
    """Store a new complaint and count it in its channel's window (``channel_counts``, this connection's
    shard); False when a UNIQUE constraint skipped it: this channel message already made one, or (once in
    2^60) the tracking number is taken (``tracking.insert_numbered`` tells which). Nothing is counted then.

    A concurrent transaction inserting the same channel message makes this wait for it; if it
    commits, this one inserts nothing and returns False (the UNIQUE constraint decides the race).
    """
    inserted = await conn.fetchval(
        f"""
        WITH made AS (
            INSERT INTO complaints (complaint_id, tracking_number, channel, channel_message_id, report_type,
                                    title, region_code, anonymous, confidential, reporter_ref, submitted_at,
                                    text_fingerprint, possible_duplicate_of, submission_event_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            ON CONFLICT DO NOTHING
            RETURNING channel
        ), counted AS (
            INSERT INTO channel_counts (channel, window_start, shard, accepted)
            SELECT channel, {_WINDOW_START.format(window="$15")}, pg_backend_pid() % {_SHARDS}, 1 FROM made
            ON CONFLICT (channel, window_start, shard) DO UPDATE SET accepted = channel_counts.accepted + 1
        )
        SELECT EXISTS (SELECT 1 FROM made)
        """,
        complaint_id, tracking_number, channel, channel_message_id, report_type, title, region_code,
        anonymous, confidential, reporter_ref, submitted_at, text_fingerprint, possible_duplicate_of,
        submission_event_id, float(channel_window_s),
    )
    return bool(inserted)


async def find_by_channel_message(conn: Executor, channel: str, channel_message_id: str) -> asyncpg.Record | None:
    """The complaint a channel message became, if it did; no reporter data."""
    return await conn.fetchrow(
        f"SELECT {_COMPLAINT_COLUMNS} FROM complaints WHERE channel = $1 AND channel_message_id = $2",
        channel, channel_message_id,
    )


# --- abuse limits and duplicates -----------------------------------------------------------------


async def lock_identity(conn: Conn, lock_keys: list[int]) -> None:
    """Serialise this transaction with every other one of the same reporter until it ends.

    Keys are taken in ascending order, so two transactions never wait for each other in a cycle: one
    statement, whose function scan reads the sorted array in its order (``unnest`` reads elements in
    storage order) and takes each lock as it reads it.
    """
    await conn.execute("SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::int[]) AS k",
                       _IDENTITY_LOCK_CLASS, sorted(lock_keys))


@dataclass(frozen=True, slots=True)
class Admission:
    """What intake reads before it accepts a submission, in one statement (the reporter's lock held)."""

    already_made: bool
    """This channel message already made a complaint."""
    reporter_recent: int
    """Accepted complaints of this reporter (any of its hashes) in the reporter window; 0 without hashes."""
    channel_recent: int
    """Accepted complaints of this channel in the sliding channel window (from the window counters)."""
    similar: UUID | None
    """The reporter's recent complaint whose text is most similar (pg_trgm), if at least the threshold."""


async def admission(
    conn: Conn, *, channel: str, channel_message_id: str, hashes: list[bytes], reporter_window_s: int,
    channel_window_s: int, duplicate_window_s: int, text_fingerprint: str | None,
    similarity: float,
) -> Admission:
    """Everything the acceptance checks read, as one round trip instead of four.

    The reporter count reads ``reporter_activity (identity_hash, accepted_at)``; the channel count reads
    the channel's counters of this window and the one before, the earlier one weighed by how much of it
    still lies within the sliding window (rounded up: a limit never lets through more than it says); the
    duplicate look-up reads the same activity index over its own window (``tools/bench_history.py``
    times it against a growing history).
    """
    row = await conn.fetchrow(
        f"""
        SELECT
            EXISTS (SELECT 1 FROM complaints WHERE channel = $1 AND channel_message_id = $2) AS already_made,
            (SELECT count(DISTINCT complaint_id) FROM reporter_activity
             WHERE identity_hash = ANY($3::bytea[]) AND accepted_at >= now() - make_interval(secs => $4)
            ) AS reporter_recent,
            (SELECT coalesce(sum(c.accepted) FILTER (WHERE c.window_start = w.start), 0)
                    + ceil(coalesce(sum(c.accepted) FILTER (WHERE c.window_start < w.start), 0)
                           * (1 - extract(epoch FROM now() - w.start) / $5))::bigint
             FROM (SELECT {_WINDOW_START.format(window="$5")} AS start) AS w
             LEFT JOIN channel_counts AS c
                 ON c.channel = $1 AND c.window_start >= w.start - make_interval(secs => $5)
             GROUP BY w.start
            ) AS channel_recent,
            (SELECT c.complaint_id
             FROM (
                 SELECT DISTINCT complaint_id FROM reporter_activity
                 WHERE identity_hash = ANY($3::bytea[]) AND accepted_at >= now() - make_interval(secs => $6)
             ) AS recent
             JOIN complaints AS c USING (complaint_id)
             WHERE $7::text IS NOT NULL AND c.text_fingerprint IS NOT NULL AND similarity(c.text_fingerprint, $7) >= $8
             ORDER BY similarity(c.text_fingerprint, $7) DESC, c.accepted_at DESC
             LIMIT 1
            ) AS similar
        """,
        channel, channel_message_id, hashes, float(reporter_window_s), float(channel_window_s),
        float(duplicate_window_s), text_fingerprint or None, similarity,
    )
    assert row is not None  # a SELECT without FROM answers one row
    return Admission(row["already_made"], int(row["reporter_recent"]), int(row["channel_recent"]), row["similar"])


async def record_activity(conn: Conn, hashes: list[bytes], complaint_id: UUID) -> None:
    await conn.execute(
        """
        INSERT INTO reporter_activity (identity_hash, accepted_at, complaint_id)
        SELECT h, now(), $2 FROM unnest($1::bytea[]) AS h
        ON CONFLICT DO NOTHING
        """,
        hashes, complaint_id,
    )


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


async def insert_reporter(
    conn: Conn,
    reporter_ref: UUID,
    contact: ReporterContact,
    *,
    phone_hash: bytes | None = None,
    email_hash: bytes | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO reporters (reporter_ref, name, phone, email, phone_hash, email_hash)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        reporter_ref, contact.name, contact.phone, contact.email, phone_hash, email_hash,
    )


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
