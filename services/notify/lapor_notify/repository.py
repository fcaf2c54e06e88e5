"""Notify's SQL (asyncpg), nothing else. Every "now" is a parameter: the caller's clock decides.

Longer than ~300 lines on purpose: every statement on ``notifications`` (record, claim, reclaim, the
lease-guarded marks, contact waits, digests) is here together, since the lease and liveness rules that
keep a delivery from being lost or sent twice span all of them; the complaints projection, contacts,
recipients and the inbox follow, each under its own heading.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from lapor_notify.channels.base import OutboundMessage
from lapor_notify.plan import ComplaintView
from lapor_shared.db import Conn, holds_session_state
from lapor_shared.tracing import current_trace_headers

WAKE_CHANNEL = "lapor_notify_deliveries"
"""NOTIFY channel: a committed delivery wakes the workers at once (they also poll)."""


# --- complaints (projection) -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ContactState:
    erased: bool
    """The reporter's contact was erased: no e-mail or SMS for this complaint any more."""
    known: bool
    """A contact is stored (else the reporter's e-mail and SMS wait for it)."""


async def complaints_of(
    conn: Conn, complaint_ids: Sequence[UUID]
) -> dict[UUID, tuple[ComplaintView | None, ContactState]]:
    """What notify remembers of each complaint (None: nothing yet) and its reporter's contact state, in one
    statement."""
    rows = await conn.fetch(
        "SELECT w.id, c.complaint_id, c.tracking_number, c.title, c.agency_id, c.agency_name, c.anonymous,"
        " c.confidential, c.closed_at,"
        " EXISTS (SELECT 1 FROM erased_complaints e WHERE e.complaint_id = w.id) AS contact_erased,"
        " EXISTS (SELECT 1 FROM contacts k WHERE k.complaint_id = w.id) AS contact_known"
        " FROM unnest($1::uuid[]) AS w (id) LEFT JOIN complaints c ON c.complaint_id = w.id",
        list(dict.fromkeys(complaint_ids)),
    )
    found: dict[UUID, tuple[ComplaintView | None, ContactState]] = {}
    for row in rows:
        values = dict(row)
        wanted = values.pop("id")
        contact = ContactState(erased=values.pop("contact_erased"), known=values.pop("contact_known"))
        found[wanted] = (ComplaintView(**values) if values["complaint_id"] is not None else None), contact
    return found


async def save_complaints(conn: Conn, views: Sequence[ComplaintView], now: datetime) -> None:
    """Remember these views (one per complaint), in one statement."""
    await conn.execute(
        """
        INSERT INTO complaints (complaint_id, tracking_number, title, agency_id, agency_name, anonymous,
                                confidential, closed_at, updated_at)
        SELECT t.*, $9::timestamptz FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                                                $6::boolean[], $7::boolean[], $8::timestamptz[]) AS t
        ON CONFLICT (complaint_id) DO UPDATE SET tracking_number = EXCLUDED.tracking_number,
            title = EXCLUDED.title, agency_id = EXCLUDED.agency_id, agency_name = EXCLUDED.agency_name,
            anonymous = EXCLUDED.anonymous, confidential = EXCLUDED.confidential, closed_at = EXCLUDED.closed_at,
            updated_at = EXCLUDED.updated_at
        """,
        [v.complaint_id for v in views], [v.tracking_number for v in views], [v.title for v in views],
        [v.agency_id for v in views], [v.agency_name for v in views], [v.anonymous for v in views],
        [v.confidential for v in views], [v.closed_at for v in views], now,
    )


# --- deliveries -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class NewDelivery:
    notification_id: UUID
    source_event_id: UUID
    source_event_type: str
    correlation_id: UUID | None
    complaint_id: UUID | None
    tracking_number: str | None
    jurisdiction_code: str | None
    recipient_kind: str
    recipient_ref: str
    channel: str
    template: str
    languages: list[str]
    subject: str
    body: str
    sms_text: str
    data: dict[str, Any]
    status: str
    due_at: datetime
    created_at: datetime
    traceparent: str | None = None
    """The trace of the event that caused it (the worker that sends it continues it); None: the current one."""


async def record(conn: Conn, d: NewDelivery) -> bool:
    """Record a delivery; False when this (event, recipient, channel) was recorded before."""
    return bool(await record_many(conn, [d], wake=False))


_RECORD_MANY = f"""
WITH new AS (
    INSERT INTO notifications (notification_id, source_event_id, source_event_type, correlation_id,
        complaint_id, tracking_number, jurisdiction_code, recipient_kind, recipient_ref, channel, template,
        languages, subject, body, sms_text, data, status, next_attempt_at, created_at, updated_at, traceparent,
        attempts, sent_at)
    SELECT t.notification_id, t.source_event_id, t.source_event_type, t.correlation_id, t.complaint_id,
        t.tracking_number, t.jurisdiction_code, t.recipient_kind, t.recipient_ref, t.channel, t.template,
        ARRAY(SELECT jsonb_array_elements_text(t.languages::jsonb)), t.subject, t.body, t.sms_text,
        t.data::jsonb, t.status, t.due_at, t.created_at, t.created_at, t.traceparent,
        (t.status = 'sent')::int, CASE WHEN t.status = 'sent' THEN t.created_at END
    FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::text[],
                $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
                $16::text[], $17::text[], $18::timestamptz[], $19::timestamptz[], $20::text[]) WITH ORDINALITY
        AS t (notification_id, source_event_id, source_event_type, correlation_id, complaint_id, tracking_number,
              jurisdiction_code, recipient_kind, recipient_ref, channel, template, languages, subject, body,
              sms_text, data, status, due_at, created_at, traceparent, position)
    ORDER BY t.position
    ON CONFLICT (source_event_id, recipient_ref, channel) DO NOTHING
    RETURNING notification_id, status
), woke AS (
    SELECT pg_notify('{WAKE_CHANNEL}', '') FROM (SELECT 1 FROM new WHERE status = 'pending' LIMIT 1) AS one
    WHERE $21::boolean
)
SELECT array(SELECT notification_id FROM new) AS recorded, (SELECT count(*) FROM woke) AS woke
"""


async def record_many(conn: Conn, deliveries: Sequence[NewDelivery], *, wake: bool = True) -> list[UUID]:
    """Record deliveries in one statement; the ids of those recorded now (an (event, recipient, channel)
    recorded before is left as it was). ``wake``: the workers hear of them at commit (``wake_workers``),
    in the same statement, when one recorded is due now (``pending``): not for an in-app message written
    at once (``in_app``), nor for one that waits for a contact or a digest (housekeeping's, in time).

    Each is stored with its event's trace (``traceparent``, else the current one), so the worker that sends
    it continues the same trace.
    """
    if not deliveries:
        return []
    current = current_trace_headers().get("traceparent")
    columns: list[list[Any]] = [[] for _ in range(20)]
    for d in deliveries:
        for column, value in zip(columns, (
            d.notification_id, d.source_event_id, d.source_event_type, d.correlation_id, d.complaint_id,
            d.tracking_number, d.jurisdiction_code, d.recipient_kind, d.recipient_ref, d.channel, d.template,
            json.dumps(list(d.languages)), d.subject, d.body, d.sms_text, json.dumps(d.data), d.status, d.due_at,
            d.created_at, d.traceparent or current,
        ), strict=True):
            column.append(value)
    row = await conn.fetchrow(_RECORD_MANY, *columns, wake)
    assert row is not None
    return list(row["recorded"])


async def wake_workers(conn: Conn) -> None:
    """Delivered at commit (and dropped on rollback), like every NOTIFY."""
    await conn.execute(f"NOTIFY {WAKE_CHANNEL}")


async def claim(
    conn: Conn, *, now: datetime, limit: int, lease_until: datetime, token: UUID, worker_key: int
) -> list[asyncpg.Record]:
    """Take up to ``limit`` due deliveries (or ones whose lease ran out) for this worker.

    ``FOR UPDATE SKIP LOCKED``: two replicas claiming at once get disjoint rows; the lease token marks
    whose claim it is, so a worker whose lease ran out cannot mark a delivery another worker owns, and
    ``claimed_by`` names the worker process (its liveness key, see ``reclaim_orphans``).
    """
    return await conn.fetch(
        """
        WITH due AS (
            SELECT notification_id FROM notifications
            WHERE (status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND lease_until <= $1)
            ORDER BY next_attempt_at, notification_id
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        )
        UPDATE notifications n
        SET status = 'sending', lease_until = $3, lease_token = $4, claimed_by = $5, attempts = n.attempts + 1,
            updated_at = $1
        FROM due WHERE n.notification_id = due.notification_id
        RETURNING n.*
        """,
        now, limit, lease_until, token, worker_key,
    )


async def hold_liveness(conn: Conn, lock_class: int, key: int) -> bool:
    """Take the worker's liveness lock on ``conn`` (session level: held until the connection ends)."""
    holds_session_state(conn)
    return bool(await conn.fetchval("SELECT pg_try_advisory_lock($1::int, $2::int)", lock_class, key))


async def reclaim_orphans(
    conn: Conn, *, now: datetime, lock_class: int, worker_key: int, own_tokens: Sequence[UUID]
) -> list[UUID]:
    """Give back, due now, the deliveries left ``sending`` by a worker that is gone.

    A claim is orphaned when the liveness lock of the worker that stamped it is no longer held (its
    process died: PostgreSQL dropped its connection and with it the lock), or when it is this worker's
    own but no send of it is in flight here (its outcome could not be recorded). The live keys are read
    from ``pg_locks`` in the same statement as the rows, after its snapshot was taken, so a worker that
    started and claimed meanwhile is seen as live. Claims without a key (from a worker of an earlier
    version) wait for their lease, as before.
    """
    rows = await conn.fetch(
        """
        WITH live AS MATERIALIZED (
            SELECT objid::bigint AS key FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = $2::int::oid
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        )
        UPDATE notifications
        SET status = 'pending', next_attempt_at = $1, lease_until = NULL, lease_token = NULL, claimed_by = NULL,
            updated_at = $1
        WHERE status = 'sending' AND claimed_by IS NOT NULL
          AND (claimed_by NOT IN (SELECT key FROM live)
               OR (claimed_by = $3 AND lease_token <> ALL($4::uuid[])))
        RETURNING notification_id
        """,
        now, lock_class, worker_key, list(own_tokens),
    )
    return [r["notification_id"] for r in rows]


async def take_rate_slots(
    conn: Conn, asks: Mapping[tuple[str, str], int], limits: Mapping[str, int], window_start: datetime,
) -> dict[tuple[str, str], int]:
    """Count a claim's sends in their recipients' hour windows, in one statement. ``asks`` holds, per
    (recipient_ref, channel), how many sends the claim has for it, ``limits`` each channel's limit per hour.

    A window takes all its asks when they fit, and a window not started yet up to the limit; each of those
    is in the result with the sends counted. A window that cannot take all its asks counts nothing and is not
    in the result: the caller takes its sends one by one (``take_rate_slot``). Every window of ``asks`` is
    locked when this returns, taken in (recipient_ref, channel) order, so two claims never deadlock.
    """
    if not asks:
        return {}
    keys = sorted(asks)
    rows = await conn.fetch(
        """
        WITH l AS (SELECT * FROM unnest($5::text[], $6::int[]) AS l (channel, per_hour))
        INSERT INTO rate_windows AS w (recipient_ref, channel, window_start, sent)
        SELECT a.recipient_ref, a.channel, $3, least(a.n, l.per_hour)
        FROM unnest($1::text[], $2::text[], $4::int[]) WITH ORDINALITY AS a (recipient_ref, channel, n, position)
        JOIN l USING (channel)
        ORDER BY a.position
        ON CONFLICT (recipient_ref, channel, window_start)
            DO UPDATE SET sent = w.sent + EXCLUDED.sent
            WHERE w.sent + EXCLUDED.sent <= (SELECT l.per_hour FROM l WHERE l.channel = w.channel)
        RETURNING w.recipient_ref, w.channel
        """,
        [k[0] for k in keys], [k[1] for k in keys], window_start, [asks[k] for k in keys], list(limits),
        list(limits.values()),
    )
    return {(r["recipient_ref"], r["channel"]): min(asks[(r["recipient_ref"], r["channel"])], limits[r["channel"]])
            for r in rows}


async def take_rate_slot(
    conn: Conn, *, recipient_ref: str, channel: str, window_start: datetime, limit: int
) -> bool:
    """Count one send in the recipient's hour window; False (and nothing counted) when it is full."""
    taken = await conn.fetchval(
        """
        INSERT INTO rate_windows (recipient_ref, channel, window_start, sent) VALUES ($1, $2, $3, 1)
        ON CONFLICT (recipient_ref, channel, window_start)
            DO UPDATE SET sent = rate_windows.sent + 1 WHERE rate_windows.sent < $4
        RETURNING sent
        """,
        recipient_ref, channel, window_start, limit,
    )
    return taken is not None


async def defer(conn: Conn, notification_ids: Sequence[UUID], *, until: datetime, now: datetime) -> None:
    """Give claimed deliveries back without counting the attempt (rate limit reached)."""
    if notification_ids:
        await conn.execute(
            "UPDATE notifications SET status = 'pending', next_attempt_at = $2, attempts = attempts - 1,"
            " lease_until = NULL, lease_token = NULL, updated_at = $3 WHERE notification_id = ANY($1::uuid[])",
            list(notification_ids), until, now,
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed delivery, to be recorded under its lease token (``record_outcomes``)."""

    notification_id: UUID
    lease_token: UUID
    status: str  # sent | pending (a retry at next_attempt_at) | failed | skipped | cancelled
    error: str | None = None
    next_attempt_at: datetime | None = None
    attempt_counted: bool = True
    """False for a delivery that was claimed but not tried (no provider slot): its claim's attempt is undone."""


async def record_outcomes(conn: Conn, outcomes: Sequence[Outcome], now: datetime) -> set[UUID]:
    """Record many outcomes in one statement, each guarded by its claim's lease token; the ids recorded
    (a delivery whose lease another worker holds now, or that was taken back, is left alone)."""
    if not outcomes:
        return set()
    rows = await conn.fetch(
        """
        UPDATE notifications n
        SET status = t.status, lease_until = NULL, last_error = t.error, updated_at = $6,
            sent_at = CASE WHEN t.status = 'sent' THEN $6 ELSE n.sent_at END,
            next_attempt_at = COALESCE(t.next_attempt_at, n.next_attempt_at),
            attempts = n.attempts - CASE WHEN t.attempt_counted THEN 0 ELSE 1 END
        FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $7::bool[])
            AS t (notification_id, lease_token, status, error, next_attempt_at, attempt_counted)
        WHERE n.notification_id = t.notification_id AND n.lease_token = t.lease_token AND n.status = 'sending'
        RETURNING n.notification_id
        """,
        [o.notification_id for o in outcomes], [o.lease_token for o in outcomes], [o.status for o in outcomes],
        [o.error for o in outcomes], [o.next_attempt_at for o in outcomes], now,
        [o.attempt_counted for o in outcomes],
    )
    return {r["notification_id"] for r in rows}


async def expire_waiting(conn: Conn, now: datetime) -> int:
    """Reporter messages whose contact never came stay in the inbox only (a contact that did come, even
    one whose release was missed, keeps its messages: ``release_waiting_with_contact`` sends them)."""
    result = await conn.execute(
        "UPDATE notifications n SET status = 'expired', updated_at = $1"
        " WHERE n.status = 'waiting_contact' AND n.next_attempt_at <= $1"
        " AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.complaint_id = n.complaint_id)", now,
    )
    return int(result.split()[-1])


async def release_waiting_with_contact(conn: Conn, now: datetime) -> int:
    """Every reporter message still waiting although its contact is stored: due now.

    The contact's consumer releases what it sees waiting, but a message recorded by the lifecycle
    consumer in a transaction that overlapped the contact's was invisible to that release (and the
    contact invisible to its check). Once both committed, this sweep sees both: nothing waits in vain.
    """
    result = await conn.execute(
        "UPDATE notifications n SET status = 'pending', next_attempt_at = $1, updated_at = $1"
        " WHERE n.status = 'waiting_contact'"
        " AND EXISTS (SELECT 1 FROM contacts c WHERE c.complaint_id = n.complaint_id)", now,
    )
    return int(result.split()[-1])


async def prune_rate_windows(conn: Conn, before: datetime) -> None:
    await conn.execute("DELETE FROM rate_windows WHERE window_start < $1", before)


# --- digests ----------------------------------------------------------------------------------

async def due_digest_groups(conn: Conn, now: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT recipient_ref, channel FROM notifications WHERE status = 'digest' AND next_attempt_at <= $1"
        " GROUP BY recipient_ref, channel", now,
    )


async def lock_digest_items(
    conn: Conn, recipient_ref: str, channel: str, now: datetime
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM notifications WHERE status = 'digest' AND recipient_ref = $1 AND channel = $2"
        " AND next_attempt_at <= $3 ORDER BY created_at, notification_id FOR UPDATE SKIP LOCKED",
        recipient_ref, channel, now,
    )


async def mark_digested(conn: Conn, ids: Sequence[UUID], digest_id: UUID, now: datetime) -> None:
    await conn.execute(
        "UPDATE notifications SET status = 'digested', digest_id = $2, updated_at = $3"
        " WHERE notification_id = ANY($1::uuid[])", list(ids), digest_id, now,
    )


# --- contacts ---------------------------------------------------------------------------------

async def store_contact(
    conn: Conn, *, complaint_id: UUID, reporter_ref_hash: str, source_channel: str,
    anonymous: bool, key_id: str, ciphertext: str, now: datetime, key_ciphertext: str | None = None,
) -> None:
    await conn.execute(
        """
        INSERT INTO contacts (complaint_id, reporter_ref_hash, source_channel, anonymous, key_id, ciphertext,
                              received_at, key_ciphertext)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (complaint_id) DO UPDATE SET reporter_ref_hash = EXCLUDED.reporter_ref_hash,
            source_channel = EXCLUDED.source_channel, anonymous = EXCLUDED.anonymous, key_id = EXCLUDED.key_id,
            ciphertext = EXCLUDED.ciphertext, received_at = EXCLUDED.received_at,
            key_ciphertext = COALESCE(EXCLUDED.key_ciphertext, contacts.key_ciphertext)
        """,
        complaint_id, reporter_ref_hash, source_channel, anonymous, key_id, ciphertext, now, key_ciphertext,
    )


@dataclass(frozen=True, slots=True)
class SharedContact:
    """A reporter's contact as intake shared it (still encrypted), for ``keep_contacts``."""

    complaint_id: UUID
    reporter_ref_hash: str
    source_channel: str
    anonymous: bool
    key_id: str
    ciphertext: str
    key_ciphertext: str | None = None


async def keep_contacts(conn: Conn, contacts: Sequence[SharedContact], now: datetime) -> dict[UUID, int | None]:
    """``store_contact`` unless the reporter was erased, then ``release_waiting``, for contacts of distinct
    complaints, in ONE statement: per complaint, None when its reporter was erased (nothing stored), else
    how many waiting messages were released."""
    assert len({c.complaint_id for c in contacts}) == len(contacts), "one contact per complaint per statement"
    rows = await conn.fetch(
        """
        WITH given AS (
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::boolean[], $5::text[], $6::text[],
                                 $7::text[])
                AS t (complaint_id, reporter_ref_hash, source_channel, anonymous, key_id, ciphertext, key_ciphertext)
        ), stored AS (
            INSERT INTO contacts (complaint_id, reporter_ref_hash, source_channel, anonymous, key_id, ciphertext,
                                  received_at, key_ciphertext)
            SELECT g.complaint_id, g.reporter_ref_hash, g.source_channel, g.anonymous, g.key_id, g.ciphertext, $8,
                   g.key_ciphertext
            FROM given g
            WHERE NOT EXISTS (SELECT 1 FROM erased_reporters e WHERE e.reporter_ref_hash = g.reporter_ref_hash)
            ON CONFLICT (complaint_id) DO UPDATE SET reporter_ref_hash = EXCLUDED.reporter_ref_hash,
                source_channel = EXCLUDED.source_channel, anonymous = EXCLUDED.anonymous, key_id = EXCLUDED.key_id,
                ciphertext = EXCLUDED.ciphertext, received_at = EXCLUDED.received_at,
                key_ciphertext = COALESCE(EXCLUDED.key_ciphertext, contacts.key_ciphertext)
            RETURNING complaint_id
        ), released AS (
            UPDATE notifications n SET status = 'pending', next_attempt_at = $8, updated_at = $8
            FROM stored s
            WHERE n.complaint_id = s.complaint_id AND n.status = 'waiting_contact'
            RETURNING n.complaint_id
        )
        SELECT g.complaint_id, EXISTS (SELECT 1 FROM stored s WHERE s.complaint_id = g.complaint_id) AS stored,
               (SELECT count(*) FROM released r WHERE r.complaint_id = g.complaint_id) AS released
        FROM given g
        """,
        [c.complaint_id for c in contacts], [c.reporter_ref_hash for c in contacts],
        [c.source_channel for c in contacts], [c.anonymous for c in contacts], [c.key_id for c in contacts],
        [c.ciphertext for c in contacts], [c.key_ciphertext for c in contacts], now,
    )
    return {r["complaint_id"]: int(r["released"]) if r["stored"] else None for r in rows}


async def contacts_of(conn: Conn, complaint_ids: Sequence[UUID]) -> dict[UUID, asyncpg.Record]:
    """``contact`` for many complaints in one statement, with ``erased`` (the contact was erased) in each
    row; a complaint without a stored contact has ``ciphertext`` None."""
    rows = await conn.fetch(
        "SELECT k.complaint_id, c.key_id, c.ciphertext, c.source_channel, c.key_ciphertext,"
        " EXISTS (SELECT 1 FROM erased_complaints e WHERE e.complaint_id = k.complaint_id) AS erased"
        " FROM unnest($1::uuid[]) AS k (complaint_id) LEFT JOIN contacts c ON c.complaint_id = k.complaint_id",
        list(set(complaint_ids)),
    )
    return {r["complaint_id"]: r for r in rows}


async def forget_spent_reporter_keys(conn: Conn) -> int:
    """Delete the reporter's key of every contact whose first message (e-mail, SMS) is done with: recorded,
    and none of its deliveries still to be sent."""
    result = await conn.execute(
        "UPDATE contacts c SET key_ciphertext = NULL WHERE c.key_ciphertext IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM notifications n WHERE n.complaint_id = c.complaint_id"
        "             AND n.template = 'complaint_accepted.reporter' AND n.channel IN ('email', 'sms'))"
        " AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.complaint_id = c.complaint_id"
        "             AND n.template = 'complaint_accepted.reporter' AND n.channel IN ('email', 'sms')"
        "             AND n.status IN ('pending', 'sending', 'waiting_contact'))"
    )
    return int(result.split()[-1])


async def forget_contacts_of_closed(conn: Conn, closed_before: datetime) -> int:
    """Delete the contacts of complaints closed before ``closed_before`` (the reopen window is over)."""
    result = await conn.execute(
        "DELETE FROM contacts c USING complaints k"
        " WHERE k.complaint_id = c.complaint_id AND k.closed_at < $1", closed_before,
    )
    return int(result.split()[-1])


async def erase_reporter(conn: Conn, reporter_ref_hash: str, now: datetime) -> list[UUID]:
    """Delete the reporter's contacts, remember the erasure, cancel what would still use them."""
    complaint_ids = [r["complaint_id"] for r in await conn.fetch(
        "DELETE FROM contacts WHERE reporter_ref_hash = $1 RETURNING complaint_id", reporter_ref_hash
    )]
    await conn.execute(
        "INSERT INTO erased_reporters (reporter_ref_hash, erased_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        reporter_ref_hash, now,
    )
    await conn.execute(
        "INSERT INTO erased_complaints (complaint_id, erased_at) SELECT unnest($1::uuid[]), $2"
        " ON CONFLICT DO NOTHING", complaint_ids, now,
    )
    await conn.execute(
        "UPDATE notifications SET status = 'cancelled', updated_at = $2, last_error = 'contact erased'"
        " WHERE complaint_id = ANY($1::uuid[]) AND recipient_kind = 'reporter' AND channel IN ('email', 'sms')"
        " AND status IN ('pending', 'waiting_contact')", complaint_ids, now,
    )
    return complaint_ids


# --- recipients -------------------------------------------------------------------------------

RECIPIENT_COLUMNS = "recipient_ref, display_name, languages, email, phone, webhook_url, webhook_secret, digest"


async def recipient(conn: Conn, recipient_ref: str) -> asyncpg.Record | None:
    """The recipient's own row, else the ``<kind>:*`` fallback row."""
    kind = recipient_ref.split(":", 1)[0]
    return await conn.fetchrow(
        f"SELECT {RECIPIENT_COLUMNS} FROM recipients WHERE recipient_ref IN ($1, $2)"
        " ORDER BY recipient_ref = $1 DESC LIMIT 1", recipient_ref, f"{kind}:*",
    )


async def recipients_of(conn: Conn, recipient_refs: Sequence[str]) -> dict[str, asyncpg.Record | None]:
    """``recipient`` for many refs in one statement: each ref's own row, else its ``<kind>:*`` row."""
    wanted = set(recipient_refs)
    fallbacks = {ref: f"{ref.split(':', 1)[0]}:*" for ref in wanted}
    rows = await conn.fetch(f"SELECT {RECIPIENT_COLUMNS} FROM recipients WHERE recipient_ref = ANY($1::text[])",
                            list(wanted | set(fallbacks.values())))
    found = {r["recipient_ref"]: r for r in rows}
    return {ref: found.get(ref) or found.get(fallbacks[ref]) for ref in wanted}


async def upsert_recipient(conn: Conn, r: dict[str, Any], now: datetime) -> None:
    await conn.execute(
        f"""
        INSERT INTO recipients ({RECIPIENT_COLUMNS}, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (recipient_ref) DO UPDATE SET display_name = EXCLUDED.display_name,
            languages = EXCLUDED.languages, email = EXCLUDED.email, phone = EXCLUDED.phone,
            webhook_url = EXCLUDED.webhook_url, webhook_secret = EXCLUDED.webhook_secret,
            digest = EXCLUDED.digest, updated_at = EXCLUDED.updated_at
        """,
        r["recipient_ref"], r["display_name"], r["languages"], r["email"], r["phone"], r["webhook_url"],
        r["webhook_secret"], r["digest"], now,
    )


# --- inbox ------------------------------------------------------------------------------------

async def put_many_in_inbox(conn: Conn, messages: Sequence[OutboundMessage]) -> None:
    """In-app messages in one statement, each once (keyed by its delivery id): the outcomes recorded
    together, or one message sent alone."""
    if not messages:
        return
    await conn.execute(
        """
        INSERT INTO inbox_messages (delivery_id, complaint_id, tracking_number, recipient_kind, recipient_ref,
                                    template, subject, body, created_at)
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                             $8::text[], $9::timestamptz[])
        ON CONFLICT (delivery_id) DO NOTHING
        """,
        [m.delivery_id for m in messages], [m.complaint_id for m in messages], [m.tracking_number for m in messages],
        [m.recipient_kind for m in messages], [m.recipient_ref for m in messages], [m.template for m in messages],
        [m.subject for m in messages], [m.body for m in messages], [m.created_at for m in messages],
    )


async def reporter_inbox(conn: Conn, tracking_number: str) -> list[asyncpg.Record]:
    """The reporter's inbox of a complaint the public may see: none for a rahasia complaint."""
    return await conn.fetch(
        "SELECT m.delivery_id, m.template, m.subject, m.body, m.created_at FROM inbox_messages m"
        " WHERE m.tracking_number = $1 AND m.recipient_kind = 'reporter'"
        " AND NOT EXISTS (SELECT 1 FROM complaints c WHERE c.complaint_id = m.complaint_id AND c.confidential)"
        " ORDER BY m.created_at, m.delivery_id",
        tracking_number,
    )
