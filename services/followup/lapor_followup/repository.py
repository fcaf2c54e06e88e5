"""Followup's SQL for its aggregate, inside the caller's transaction (the use cases and the timer poller own
those): a complaint, its timers and its history, locked in one order (the complaint first, then its timers)
by the consumers and the poller alike, and kept side by side so that order is checked at a glance. The
reference data's SQL is in ``reference_data``, the read API's in ``read_queries``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from lapor_shared.db import Conn

Row = dict[str, Any]

# --- complaints --------------------------------------------------------------------------------------

_COMPLAINT_COLUMNS = frozenset({
    "tracking_number", "agency_id", "agency_name", "agency_level", "jurisdiction_code", "report_type",
    "status", "policy_version", "anonymous", "confidential", "routed_at", "correlation_id", "title",
    "category", "route_count", "status_before_hold", "stage", "due_at", "stage_working_days",
    "extension_days", "escalation_level", "escalated_to", "first_response_at", "answered_in_time",
    "last_response_at", "closed_at", "close_reason", "reopen_until", "rating", "rated_at", "hard_cap_at",
})


async def insert_complaint(conn: Conn, *, complaint_id: UUID, **fields: Any) -> Row | None:
    """The new complaint's row, or None when it exists already (a redelivered event)."""
    _check_columns(fields)
    columns = ["complaint_id", *fields]
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    row = await conn.fetchrow(
        f"INSERT INTO complaints ({', '.join(columns)}) VALUES ({placeholders})"
        " ON CONFLICT (complaint_id) DO NOTHING RETURNING *",
        complaint_id, *fields.values(),
    )
    return dict(row) if row else None


async def lock_complaint(conn: Conn, complaint_id: UUID, *, skip_locked: bool = False) -> Row | None:
    """The complaint's row, locked until the transaction ends (None: unknown, or busy with skip_locked)."""
    row = await conn.fetchrow(
        "SELECT * FROM complaints WHERE complaint_id = $1 FOR UPDATE" + (" SKIP LOCKED" if skip_locked else ""),
        complaint_id,
    )
    return dict(row) if row else None


async def lock_complaints(conn: Conn, complaint_ids: Sequence[UUID]) -> dict[UUID, Row]:
    """``lock_complaint`` for several complaints in one statement: the known ones' rows by id, locked in
    ``complaint_id`` order (unknown ones are simply absent)."""
    rows = await conn.fetch(
        "SELECT * FROM complaints WHERE complaint_id = ANY($1::uuid[]) ORDER BY complaint_id FOR UPDATE",
        list(complaint_ids),
    )
    return {r["complaint_id"]: dict(r) for r in rows}


_NEW_COMPLAINT_TYPES = {
    "complaint_id": "uuid", "tracking_number": "text", "correlation_id": "uuid", "report_type": "text",
    "policy_version": "text", "anonymous": "boolean", "confidential": "boolean", "title": "text",
    "category": "text", "route_count": "int", "status": "text", "routed_at": "timestamptz",
    "hard_cap_at": "timestamptz", "agency_id": "text", "agency_name": "text", "agency_level": "text",
    "jurisdiction_code": "text", "stage": "text", "due_at": "timestamptz", "stage_working_days": "int",
}


async def insert_complaints(conn: Conn, complaints: Sequence[Row]) -> dict[UUID, Row]:
    """``insert_complaint`` for several new complaints in one statement (each with the same columns, among
    ``_NEW_COMPLAINT_TYPES``): the rows inserted by id; one that exists already is absent."""
    columns = list(complaints[0])
    unknown = set(columns) - set(_NEW_COMPLAINT_TYPES)
    if unknown:
        raise ValueError(f"not a column of a new complaint: {sorted(unknown)}")
    arrays = ", ".join(f"${i}::{_NEW_COMPLAINT_TYPES[c]}[]" for i, c in enumerate(columns, start=1))
    names = ", ".join(columns)
    rows = await conn.fetch(
        f"INSERT INTO complaints ({names}) SELECT {names} FROM unnest({arrays}) WITH ORDINALITY"
        f" AS new ({names}, position) ORDER BY position ON CONFLICT (complaint_id) DO NOTHING RETURNING *",
        *([c[name] for c in complaints] for name in columns),
    )
    return {r["complaint_id"]: dict(r) for r in rows}


async def update_complaint(conn: Conn, complaint_id: UUID, **changes: Any) -> Row:
    _check_columns(changes)
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(changes, start=2))
    row = await conn.fetchrow(
        f"UPDATE complaints SET {assignments}, updated_at = now() WHERE complaint_id = $1 RETURNING *",
        complaint_id, *changes.values(),
    )
    assert row is not None
    return dict(row)


def _check_columns(fields: Iterable[str]) -> None:
    unknown = set(fields) - _COMPLAINT_COLUMNS
    if unknown:
        raise ValueError(f"not a complaints column: {sorted(unknown)}")


async def complaint_by_tracking(conn: Conn, tracking_number: str) -> Row | None:
    row = await conn.fetchrow("SELECT * FROM complaints WHERE tracking_number = $1", tracking_number)
    return dict(row) if row else None


# --- history and internal notes ----------------------------------------------------------------------

async def add_history(
    conn: Conn, *, complaint_id: UUID, event_id: UUID, event_type: str, occurred_at: datetime,
    status: str, agency_id: str | None, facts: dict[str, Any],
) -> None:
    await conn.execute(
        "INSERT INTO history (complaint_id, event_id, event_type, occurred_at, status, agency_id, facts)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        complaint_id, event_id, event_type, occurred_at, status, agency_id, facts,
    )


_HISTORY = (("complaint_id", "uuid"), ("event_id", "uuid"), ("event_type", "text"), ("occurred_at", "timestamptz"),
            ("status", "text"), ("agency_id", "text"), ("facts", "jsonb"))


def _insert_histories(first: int) -> str:
    """The statement of ``add_histories``, its arrays numbered from ``$first``."""
    names = ", ".join(name for name, _ in _HISTORY)
    arrays = ", ".join(f"${first + i}::{kind}[]" for i, (_, kind) in enumerate(_HISTORY))
    return (f"INSERT INTO history ({names}) SELECT {names} FROM unnest({arrays}) WITH ORDINALITY"
            f" AS step ({names}, position) ORDER BY position")


def _history_arrays(steps: Sequence[Row]) -> list[list[Any]]:
    return [[step[name] for step in steps] for name, _ in _HISTORY]


async def add_histories(conn: Conn, steps: Sequence[Row]) -> None:
    """``add_history`` for several steps (of one or many complaints) in one statement, kept in order."""
    await conn.execute(_insert_histories(1), *_history_arrays(steps))


async def history_of(conn: Conn, complaint_id: UUID) -> list[Row]:
    rows = await conn.fetch(
        "SELECT event_id, event_type, occurred_at, status, agency_id, facts FROM history"
        " WHERE complaint_id = $1 ORDER BY history_id",
        complaint_id,
    )
    return [dict(r) for r in rows]


async def add_internal_note(
    conn: Conn, *, complaint_id: UUID, agency_id: str, note: str, created_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO internal_notes (complaint_id, agency_id, note, created_at) VALUES ($1, $2, $3, $4)",
        complaint_id, agency_id, note, created_at,
    )


async def internal_notes_of(conn: Conn, complaint_ids: Sequence[UUID]) -> dict[UUID, list[Row]]:
    rows = await conn.fetch(
        "SELECT complaint_id, agency_id, note, created_at FROM internal_notes"
        " WHERE complaint_id = ANY($1::uuid[]) ORDER BY note_id",
        list(complaint_ids),
    )
    notes: dict[UUID, list[Row]] = {}
    for r in rows:
        notes.setdefault(r["complaint_id"], []).append(
            {"agency_id": r["agency_id"], "note": r["note"], "created_at": r["created_at"]}
        )
    return notes


# --- timers ------------------------------------------------------------------------------------------

async def add_timer(
    conn: Conn, *, complaint_id: UUID, stage: str, kind: str, agency_id: str | None,
    due_at: datetime, escalation_level: int = 0, target_due_at: datetime | None = None,
    policy_version: str | None = None, working_days: int | None = None,
) -> int:
    return await conn.fetchval(
        "INSERT INTO timers (complaint_id, stage, kind, agency_id, due_at, escalation_level, target_due_at,"
        " policy_version, working_days) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING timer_id",
        complaint_id, stage, kind, agency_id, due_at, escalation_level, target_due_at, policy_version,
        working_days,
    )


_INSERT_TIMERS = (
    "INSERT INTO timers (complaint_id, stage, kind, agency_id, due_at, escalation_level, target_due_at,"
    " policy_version, working_days)"
    " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::int[],"
    " $7::timestamptz[], $8::text[], $9::int[])"
)
_TIMER_ARRAYS = 9


def _timer_arrays(timers: Sequence[dict[str, Any]]) -> list[list[Any]]:
    def column(name: str, default: Any = None) -> list[Any]:
        return [t.get(name, default) for t in timers]

    return [column("complaint_id"), column("stage"), column("kind"), column("agency_id"), column("due_at"),
            column("escalation_level", 0), column("target_due_at"), column("policy_version"),
            column("working_days")]


async def add_timers(conn: Conn, timers: Sequence[dict[str, Any]]) -> None:
    """``add_timer`` for several timers in one statement (a clock's deadline and its warning)."""
    await conn.execute(_INSERT_TIMERS, *_timer_arrays(timers))


async def add_timers_and_histories(conn: Conn, timers: Sequence[dict[str, Any]], steps: Sequence[Row]) -> None:
    """``add_timers`` and ``add_histories`` in one statement: a round trip fewer for a batch of new cases
    (issue 17)."""
    await conn.execute(f"WITH timers_added AS ({_INSERT_TIMERS}) {_insert_histories(_TIMER_ARRAYS + 1)}",
                       *_timer_arrays(timers), *_history_arrays(steps))


async def cancel_timers(
    conn: Conn, complaint_id: UUID, *, at: datetime, stages: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
) -> int:
    """Stop live timers of a complaint (all, or only the given stages/kinds). Returns how many."""
    result = await conn.execute(
        "UPDATE timers SET cancelled_at = $2 WHERE complaint_id = $1 AND fired_at IS NULL"
        " AND cancelled_at IS NULL AND ($3::text[] IS NULL OR stage = ANY($3))"
        " AND ($4::text[] IS NULL OR kind = ANY($4))",
        complaint_id, at, list(stages) if stages is not None else None, list(kinds) if kinds is not None else None,
    )
    return int(result.split()[-1])


async def lock_complaints_with_due_timers(conn: Conn, *, now: datetime, limit: int) -> list[UUID]:
    """Lock (SKIP LOCKED) the complaints of the earliest due timers, found through the partial index
    ``timers_due``. Everyone locks a complaint before its timers, so pollers and consumers never deadlock."""
    rows = await conn.fetch(
        """
        SELECT complaint_id FROM complaints WHERE complaint_id IN (
            SELECT complaint_id FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= $1
            ORDER BY due_at LIMIT $3
        )
        LIMIT $2 FOR UPDATE SKIP LOCKED
        """,
        now, limit, limit * 10,  # candidates beyond the batch: other replicas hold the first ones
    )
    return [r["complaint_id"] for r in rows]


async def claim_due_timers(conn: Conn, complaint_ids: Sequence[UUID], *, now: datetime) -> list[Row]:
    """The due timers of complaints this transaction has locked, claimed with FOR UPDATE SKIP LOCKED."""
    rows = await conn.fetch(
        "SELECT * FROM timers WHERE complaint_id = ANY($1::uuid[]) AND fired_at IS NULL AND cancelled_at IS NULL"
        " AND due_at <= $2 ORDER BY due_at, timer_id FOR UPDATE SKIP LOCKED",
        list(complaint_ids), now,
    )
    return [dict(r) for r in rows]


async def mark_fired(
    conn: Conn, timer_id: int, *, at: datetime, outcome: str, fired_by: str
) -> None:
    await conn.execute(
        "UPDATE timers SET fired_at = $2, outcome = $3, fired_by = $4, attempts = attempts + 1"
        " WHERE timer_id = $1",
        timer_id, at, outcome, fired_by,
    )


async def record_timer_failure(
    conn: Conn, timer_id: int, *, at: datetime, error: str, give_up: bool, fired_by: str
) -> None:
    """A timer whose effect failed: retried on the next rounds, set aside (outcome failed) at the limit."""
    await conn.execute(
        "UPDATE timers SET attempts = attempts + 1, last_error = $2,"
        " fired_at = CASE WHEN $3::boolean THEN $4::timestamptz END,"
        " outcome = CASE WHEN $3::boolean THEN 'failed' END,"
        " fired_by = CASE WHEN $3::boolean THEN $5::text END WHERE timer_id = $1",
        timer_id, error[:2000], give_up, at, fired_by,
    )
