"""The gateway's set-based SQL for its consumers' batches (issue 17): one statement per kind of row for
a whole run of events, with ``unnest`` over arrays, where ``repository.py`` and ``reporter_repository.py``
take one row a statement. Each function has the same effect as its one-row counterpart run for every
element in order, as long as no two elements name the same row (callers split a run where one does).

Every function takes a connection and runs inside the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from lapor_shared.db import Executor

# --- intake's answers (consumer gateway.results) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """An answer as ``repository.record_answer`` keeps it."""

    channel: str
    channel_message_id: str
    outcome: str
    tracking_number: str | None
    complaint_id: UUID | None
    reasons: list[dict[str, Any]] | None
    reporter_key: str | None


async def lock_channel_messages(conn: Executor, keys: Sequence[tuple[str, str]]) -> None:
    """``repository.lock_channel_message`` for every key, in one statement, in a fixed order (two batches
    sharing keys wait for each other instead of deadlocking)."""
    names = sorted({f"gateway-answer:{channel}:{message_id}" for channel, message_id in keys})
    await conn.execute("SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0)))"
                       " FROM (SELECT k FROM unnest($1::text[]) k ORDER BY k) ordered", names)


async def record_answers(conn: Executor, answers: Sequence[AnswerRow]) -> list[asyncpg.Record]:
    """Store intake's answers (to distinct channel messages), whoever published them, in one statement that
    also looks up their submissions. An answer changes what was known when it is the first, or an
    acceptance after a rejection (nothing replaces an acceptance); an acceptance's reporter key waits in
    clear until it is shown once (``reporter_repository.take_reporter_key``).

    Returns the answers that changed what was known and whose submission the gateway has, with its
    ``source`` and ``reply_to`` (the others need no reply and wake nobody)."""
    return await conn.fetch(
        "WITH changed AS ("
        " INSERT INTO answers (channel, channel_message_id, outcome, tracking_number, complaint_id, reasons,"
        " reporter_key)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[]::jsonb[],"
        " $7::text[])"
        " ON CONFLICT (channel, channel_message_id) DO UPDATE SET outcome = EXCLUDED.outcome,"
        " tracking_number = EXCLUDED.tracking_number, complaint_id = EXCLUDED.complaint_id,"
        " reasons = EXCLUDED.reasons, reporter_key = EXCLUDED.reporter_key, answered_at = now()"
        " WHERE answers.outcome = 'rejected' AND EXCLUDED.outcome = 'accepted'"
        " RETURNING channel, channel_message_id, outcome, tracking_number)"
        " SELECT c.channel, c.channel_message_id, c.outcome, c.tracking_number, s.source, s.reply_to"
        " FROM changed c JOIN submissions s USING (channel, channel_message_id)",
        [a.channel for a in answers], [a.channel_message_id for a in answers], [a.outcome for a in answers],
        [a.tracking_number for a in answers], [a.complaint_id for a in answers],
        [None if a.reasons is None else json.dumps(a.reasons) for a in answers],
        [a.reporter_key for a in answers],
    )


async def notify_answered(conn: Executor, channel_name: str, keys: Sequence[tuple[str, str]]) -> None:
    """``repository.notify_answered`` for every key, in one statement (one notification each, as before)."""
    if keys:
        await conn.execute("SELECT count(pg_notify($1, p)) FROM unnest($2::text[]) p", channel_name,
                           [json.dumps([channel, message_id]) for channel, message_id in keys])


@dataclass(frozen=True, slots=True)
class ProofRow:
    complaint_id: UUID
    tracking_number: str
    key_verifier: bytes
    phone_hash: bytes | None


async def record_proofs(conn: Executor, proofs: Sequence[ProofRow]) -> None:
    """Keep the reporter's proof of every acceptance and enter its complaint in the public view, in one
    statement: the first proof of a complaint stays (a later one changes nothing), and the complaint is
    in the view by number, without content (so rahasia to the public) until ``complaint.accepted`` fills it."""
    if not proofs:
        return
    await conn.execute(
        "WITH keys AS ("
        " INSERT INTO reporter_keys (complaint_id, tracking_number, key_verifier, phone_hash)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::bytea[]) ON CONFLICT DO NOTHING)"
        " INSERT INTO complaint_view (complaint_id, tracking_number)"
        " SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT DO NOTHING",
        [p.complaint_id for p in proofs], [p.tracking_number for p in proofs], [p.key_verifier for p in proofs],
        [p.phone_hash for p in proofs],
    )


# --- the public complaint view (consumer gateway.view) ----------------------------------------------

ACCEPTED_COLUMNS = {
    "complaint_id": "uuid", "tracking_number": "text", "channel": "text", "report_type": "text",
    "service_code": "text", "title": "text", "description": "text", "address": "text", "latitude": "float8",
    "longitude": "float8", "media_url": "text", "region_code": "text", "confidential": "boolean",
    "anonymous": "boolean", "requested_at": "timestamptz", "occurred_at": "timestamptz", "status_notes": "text",
    "evidence": "text",
}
STATUS_COLUMNS = {
    "complaint_id": "uuid", "tracking_number": "text", "lifecycle_status": "text", "open311_status": "text",
    "status_notes": "text", "agency_name": "text", "occurred_at": "timestamptz", "service_code": "text",
}
DEADLINE_COLUMNS = {"complaint_id": "uuid", "tracking_number": "text", "due_at": "timestamptz",
                    "occurred_at": "timestamptz"}


def _unnest(columns: dict[str, str], rows: Sequence[dict[str, Any]]) -> tuple[str, list[list[Any]]]:
    """``SELECT * FROM unnest(…) AS r(<columns>)`` over ``rows`` (dicts with those keys) and its arguments."""
    arrays = ", ".join(f"${i}::{kind}[]" for i, kind in enumerate(columns.values(), start=1))
    return (f"SELECT * FROM unnest({arrays}) AS r({', '.join(columns)})",
            [[row[name] for row in rows] for name in columns])


async def upsert_accepted(conn: Executor, rows: Sequence[dict[str, Any]]) -> None:
    """The complaints' content as accepted (``ACCEPTED_COLUMNS``; ``evidence``: the public's references
    as JSON text, ``'[]'`` to leave them as they are); a status set by a later event (seen first) is kept."""
    if not rows:
        return
    given, args = _unnest(ACCEPTED_COLUMNS, rows)
    await conn.execute(
        f"""
        INSERT INTO complaint_view (complaint_id, tracking_number, channel, report_type, service_code, title,
            description, address, latitude, longitude, media_url, region_code, confidential, anonymous,
            lifecycle_status, open311_status, status_notes, requested_at, updated_at, status_event_at, evidence)
        SELECT complaint_id, tracking_number, channel, report_type, service_code, title, description, address,
            latitude, longitude, media_url, region_code, confidential, anonymous, 'diterima', 'open', status_notes,
            requested_at, occurred_at, occurred_at, evidence::jsonb
        FROM ({given}) r
        ON CONFLICT (complaint_id) DO UPDATE SET
            tracking_number = COALESCE(complaint_view.tracking_number, EXCLUDED.tracking_number),
            channel = EXCLUDED.channel, report_type = EXCLUDED.report_type,
            service_code = COALESCE(complaint_view.service_code, EXCLUDED.service_code),
            title = EXCLUDED.title, description = EXCLUDED.description, address = EXCLUDED.address,
            latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, media_url = EXCLUDED.media_url,
            region_code = EXCLUDED.region_code, confidential = EXCLUDED.confidential,
            anonymous = EXCLUDED.anonymous, requested_at = EXCLUDED.requested_at,
            evidence = CASE WHEN EXCLUDED.evidence = '[]'::jsonb THEN complaint_view.evidence
                            ELSE EXCLUDED.evidence END
        """,
        *args,
    )


async def apply_statuses(conn: Executor, rows: Sequence[dict[str, Any]]) -> None:
    """Lifecycle events' effects on the view (``STATUS_COLUMNS``); an event older than the one already
    applied changes nothing, a ``None`` leaves that column as it is. An event seen before the complaint's
    accepted event creates the row without content (confidential until proven otherwise).

    An update of the rows there and an insert of the others: the ``serial`` lock the view's writers share
    (``handlers.VIEW_ROWS``) keeps anyone from adding a row in between."""
    if not rows:
        return
    given, args = _unnest(STATUS_COLUMNS, rows)
    await conn.execute(
        f"""
        WITH r AS ({given}),
        changed AS (
            UPDATE complaint_view v SET
                tracking_number = COALESCE(v.tracking_number, r.tracking_number),
                lifecycle_status = COALESCE(r.lifecycle_status, v.lifecycle_status),
                open311_status = COALESCE(r.open311_status, v.open311_status),
                status_notes = COALESCE(r.status_notes, v.status_notes),
                agency_name = COALESCE(r.agency_name, v.agency_name),
                service_code = COALESCE(r.service_code, v.service_code),
                updated_at = r.occurred_at, status_event_at = r.occurred_at
            FROM r WHERE v.complaint_id = r.complaint_id
                AND (v.status_event_at IS NULL OR v.status_event_at <= r.occurred_at))
        INSERT INTO complaint_view (complaint_id, tracking_number, lifecycle_status, open311_status,
            status_notes, agency_name, updated_at, status_event_at, service_code)
        SELECT complaint_id, tracking_number, COALESCE(lifecycle_status, 'diterima'), COALESCE(open311_status, 'open'),
            status_notes, agency_name, occurred_at, occurred_at, service_code
        FROM r WHERE NOT EXISTS (SELECT 1 FROM complaint_view v WHERE v.complaint_id = r.complaint_id)
        """,
        *args,
    )


async def apply_deadlines(conn: Executor, rows: Sequence[dict[str, Any]]) -> None:
    """The current deadlines (``DEADLINE_COLUMNS``; Open311's ``expected_datetime``); an older deadline
    event changes nothing. It also counts as the complaint's last update. Seen before the acceptance, it
    makes a row without content (confidential until proven otherwise), as ``apply_statuses`` does."""
    if not rows:
        return
    given, args = _unnest(DEADLINE_COLUMNS, rows)
    await conn.execute(
        f"""
        INSERT INTO complaint_view (complaint_id, tracking_number, expected_at, deadline_event_at, updated_at)
        SELECT complaint_id, tracking_number, due_at, occurred_at, occurred_at FROM ({given}) r
        ON CONFLICT (complaint_id) DO UPDATE SET expected_at = EXCLUDED.expected_at,
            deadline_event_at = EXCLUDED.deadline_event_at,
            tracking_number = COALESCE(complaint_view.tracking_number, EXCLUDED.tracking_number),
            updated_at = GREATEST(complaint_view.updated_at, EXCLUDED.deadline_event_at)
        WHERE complaint_view.deadline_event_at IS NULL
            OR complaint_view.deadline_event_at <= EXCLUDED.deadline_event_at
        """,
        *args,
    )
