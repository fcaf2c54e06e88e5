"""The dashboard's SQL (asyncpg), nothing else. Every query runs in the ``dashboard`` schema.

A *node* is a code of the jurisdiction tree: ``ID`` (everything), a province (``18``: the province's own
complaints and all its regencies and cities) or a regency/city (``18.71``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg

from lapor_dashboard.projection import FINISHED, OWED, LogEntry, Row
from lapor_shared.db import Conn, Executor
from lapor_shared.events.values import NATIONAL_CODE

GroupBy = Literal["node", "child", "agency"]

# ----------------------------------------------------------------------------------------- read model


ROW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("complaint_id", "uuid"), ("tracking_number", "text"), ("jurisdiction_code", "text"),
    ("province_code", "text"), ("responsible_code", "text"), ("agency_id", "text"), ("agency_name", "text"),
    ("agency_level", "text"), ("category", "text"), ("report_type", "text"), ("status", "text"),
    ("confidential", "boolean"), ("title", "text"), ("received_at", "timestamptz"), ("routed_at", "timestamptz"),
    ("first_response_at", "timestamptz"), ("answered_on_time", "boolean"), ("stage", "text"),
    ("due_at", "timestamptz"), ("overdue", "boolean"), ("closed_at", "timestamptz"), ("close_reason", "text"),
    ("rating", "smallint"), ("escalations", "integer"), ("escalation_level", "integer"),
    ("last_event_at", "timestamptz"),
)
"""The columns of ``complaints`` a fold writes (``updated_at`` is the time of the write), with their types."""

KEPT_WHEN_NOT_GIVEN = ("tracking_number", "title")
"""Columns only some events carry: a row keeps its value when the events folded now do not give one."""

_NAMES = [name for name, _ in ROW_COLUMNS]
_SAVE_ROWS = f"""
INSERT INTO complaints ({", ".join(_NAMES)}, updated_at)
SELECT {", ".join(f"t.{name}" for name in _NAMES)}, now()
  FROM unnest({", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(ROW_COLUMNS, start=1))})
       AS t ({", ".join(_NAMES)})
ON CONFLICT (complaint_id) DO UPDATE SET
    {", ".join(f"{name} = coalesce(EXCLUDED.{name}, complaints.{name})" if name in KEPT_WHEN_NOT_GIVEN
               else f"{name} = EXCLUDED.{name}" for name in _NAMES[1:])}, updated_at = now()
"""

_ADD_EVENTS_AND_READ_LOGS = """
WITH new AS (
    INSERT INTO complaint_events (event_id, complaint_id, occurred_at, event_type, facts)
    SELECT t.event_id, t.complaint_id, t.occurred_at, t.event_type, t.facts::jsonb
      FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::text[], $5::text[])
           AS t (event_id, complaint_id, occurred_at, event_type, facts)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id, complaint_id, event_type, occurred_at, facts)
SELECT true AS new, event_id, complaint_id, event_type, occurred_at, facts FROM new
UNION ALL
SELECT false, e.event_id, e.complaint_id, e.event_type, e.occurred_at, e.facts
  FROM complaint_events e WHERE e.complaint_id IN (SELECT complaint_id FROM new)
"""


@dataclass(frozen=True, slots=True)
class Logs:
    """What ``add_events_and_read_logs`` found: the lines it added, and the whole log of each complaint
    that got one (a complaint all of whose lines were there already is not read)."""

    added: frozenset[UUID]
    by_complaint: dict[UUID, list[LogEntry]]


async def lock_complaints(conn: Conn, complaint_ids: Iterable[UUID]) -> None:
    """Serialise the fold of these complaints (the live consumer and a rebuild may both be at them), in
    one statement. The locks are taken in ascending order of their keys, so two transactions never wait
    for each other in a cycle: the subquery's sort hands the keys to the outer scan, which takes each lock
    as it reads it. A complaint's key is the one ``hashtextextended`` gives its id, whoever takes it."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(c, 0) AS k"
        " FROM unnest($1::text[]) AS c ORDER BY k) AS keys",
        sorted({str(complaint_id) for complaint_id in complaint_ids}),
    )


async def add_events_and_read_logs(conn: Conn, entries: Sequence[LogEntry]) -> Logs:
    """Record lines of complaints' event logs (one per event id: a line already there is skipped) and read
    back the whole log of every complaint that got a new line, in one statement. Run after
    ``lock_complaints``: the statement's snapshot then holds every line another fold committed (the new
    lines are not in it, so they come from ``new``)."""
    first: dict[UUID, LogEntry] = {}
    for entry in entries:
        first.setdefault(entry.event_id, entry)
    unique = list(first.values())
    rows = await conn.fetch(
        _ADD_EVENTS_AND_READ_LOGS,
        [e.event_id for e in unique], [e.complaint_id for e in unique], [e.occurred_at for e in unique],
        [e.event_type for e in unique], [json.dumps(e.facts) for e in unique],
    )
    added: set[UUID] = set()
    by_complaint: dict[UUID, list[LogEntry]] = {}
    for r in rows:
        if r["new"]:
            added.add(r["event_id"])
        by_complaint.setdefault(r["complaint_id"], []).append(
            LogEntry(r["event_id"], r["complaint_id"], r["event_type"], r["occurred_at"], r["facts"]))
    return Logs(frozenset(added), by_complaint)


async def events_of(db: Executor, complaint_id: UUID) -> list[LogEntry]:
    rows = await db.fetch(
        "SELECT event_id, complaint_id, event_type, occurred_at, facts FROM complaint_events"
        " WHERE complaint_id = $1",
        complaint_id,
    )
    return [LogEntry(r["event_id"], r["complaint_id"], r["event_type"], r["occurred_at"], r["facts"]) for r in rows]


@dataclass(frozen=True, slots=True)
class Folded:
    """A complaint's row as folded now, with the tracking number and title the events gave (None: keep)."""

    row: Row
    tracking_number: str | None
    title: str | None

    def value(self, column: str) -> Any:
        if column in KEPT_WHEN_NOT_GIVEN:
            return getattr(self, column)
        return getattr(self.row, column)


async def save_rows(conn: Conn, rows: Sequence[Folded]) -> None:
    """Insert or replace complaints' rows in one statement; tracking number and title are kept when not
    given. At most one row per complaint (a statement may not write a row twice)."""
    if not rows:
        return
    ordered = sorted(rows, key=lambda folded: folded.row.complaint_id)
    await conn.execute(_SAVE_ROWS, *([folded.value(name) for folded in ordered] for name in _NAMES))


async def reset_read_model(conn: Conn, consumer: str) -> None:
    """Empty the read model and forget which events it processed (users stay)."""
    await conn.execute("TRUNCATE complaints, complaint_events")
    await conn.execute("DELETE FROM inbox WHERE consumer = $1", consumer)


async def complaint_by_tracking(db: Executor, tracking_number: str) -> asyncpg.Record | None:
    return await db.fetchrow(
        "SELECT * FROM complaints WHERE tracking_number = $1 ORDER BY received_at LIMIT 1", tracking_number
    )


# ----------------------------------------------------------------------------------------- figures

def _in_node(node: str, param: str) -> str:
    """The WHERE clause for the complaints in ``node``'s subtree (``param`` holds the node code)."""
    if node == NATIONAL_CODE:
        return f"({param}::text IS NOT NULL)"  # everything (the parameter is still typed and used)
    return f"(jurisdiction_code = {param} OR jurisdiction_code LIKE {param} || '.%')"


OWED_SQL = "(" + ", ".join(f"'{s}'" for s in OWED) + ")"
FINISHED_SQL = "(" + ", ".join(f"'{s}'" for s in FINISHED) + ")"


def overdue_sql(now_param: str) -> str:
    """Overdue now: someone owes the next step and its deadline passed (or was reported breached)."""
    return f"(status IN {OWED_SQL} AND (overdue OR (due_at IS NOT NULL AND due_at < {now_param})))"


def _group_key(node: str, group_by: GroupBy) -> str:
    if group_by == "node":
        return "''"
    if group_by == "agency":
        return "coalesce(agency_id, '')"
    if node == NATIONAL_CODE:
        return "split_part(jurisdiction_code, '.', 1)"  # a province, or 'ID' for national bodies
    return "jurisdiction_code"  # a province's regencies and cities (and the province itself)


async def group_figures(db: Executor, node: str, group_by: GroupBy, now: datetime) -> list[asyncpg.Record]:
    """Additive figures and the median time to first response, per group of ``node``'s complaints."""
    key = _group_key(node, group_by)
    return await db.fetch(
        f"""
        SELECT {key} AS key,
               max(agency_name) AS agency_name,
               max(jurisdiction_code) AS jurisdiction_code,
               count(*) AS total,
               count(*) FILTER (WHERE status NOT IN {FINISHED_SQL}) AS open,
               count(*) FILTER (WHERE {overdue_sql('$2')}) AS overdue_now,
               count(*) FILTER (WHERE first_response_at IS NOT NULL) AS answered,
               count(*) FILTER (WHERE answered_on_time) AS on_time,
               count(*) FILTER (WHERE first_response_at IS NULL AND {overdue_sql('$2')}) AS unanswered_late,
               percentile_cont(0.5) WITHIN GROUP (
                   ORDER BY extract(epoch FROM first_response_at - coalesce(routed_at, received_at)))
                   FILTER (WHERE first_response_at IS NOT NULL) AS median_response_s,
               coalesce(sum(escalations), 0) AS escalations,
               count(*) FILTER (WHERE escalations > 0) AS escalated,
               coalesce(sum(rating), 0) AS rating_sum,
               count(rating) AS rating_count
          FROM complaints
         WHERE {_in_node(node, '$1')}
         GROUP BY 1
        """,
        node, now,
    )


async def status_counts(db: Executor, node: str, group_by: GroupBy) -> list[asyncpg.Record]:
    key = _group_key(node, group_by)
    return await db.fetch(
        f"SELECT {key} AS key, status, count(*) AS n FROM complaints WHERE {_in_node(node, '$1')} GROUP BY 1, 2",
        node,
    )


async def overdue_list(db: Executor, node: str, now: datetime, limit: int | None) -> list[asyncpg.Record]:
    """The overdue complaints of ``node``, the latest first (by how long ago their deadline passed)."""
    return await db.fetch(
        f"""
        SELECT complaint_id, tracking_number, jurisdiction_code, responsible_code, agency_id, agency_name,
               category, status, stage, due_at, confidential, title, escalations, escalation_level,
               extract(epoch FROM $2::timestamptz - due_at) AS late_s
          FROM complaints
         WHERE {_in_node(node, '$1')} AND {overdue_sql('$2')}
         ORDER BY due_at ASC NULLS LAST, tracking_number
         LIMIT $3
        """,
        node, now, limit,
    )


async def per_period(
    db: Executor, node: str, *, column: Literal["received_at", "first_response_at", "closed_at"],
    unit: Literal["day", "week"], since: datetime, zone: str,
) -> dict[Any, int]:
    """How many complaints of ``node`` had ``column`` in each day or week (local dates in ``zone``)."""
    rows = await db.fetch(
        f"""
        SELECT date_trunc('{unit}', {column} AT TIME ZONE $3)::date AS period, count(*) AS n
          FROM complaints
         WHERE {_in_node(node, '$1')} AND {column} >= $2
         GROUP BY 1
        """,
        node, since, zone,
    )
    return {r["period"]: r["n"] for r in rows}


async def fingerprint(db: Executor, node: str) -> tuple[int, datetime | None]:
    """Changes whenever a complaint of ``node`` changes (count and the latest update)."""
    row = await db.fetchrow(
        f"SELECT count(*) AS n, max(updated_at) AS latest FROM complaints WHERE {_in_node(node, '$1')}",
        node,
    )
    return (row["n"], row["latest"]) if row else (0, None)


async def all_rows(db: Executor) -> list[asyncpg.Record]:
    """Every complaint row (tests compare a replay with the live read model)."""
    return await db.fetch("SELECT * FROM complaints ORDER BY complaint_id")


# ----------------------------------------------------------------------------------------- users

async def user(db: Executor, username: str) -> asyncpg.Record | None:
    return await db.fetchrow(
        "SELECT username, password_hash, scope_code, role, display_name FROM users WHERE username = $1", username
    )


async def add_user(
    db: Executor, *, username: str, password_hash: str, scope_code: str, role: str, display_name: str | None,
    replace: bool = False,
) -> bool:
    """Add a user; an existing one is kept unless ``replace``. True when a row was written."""
    conflict = (
        "DO UPDATE SET password_hash = EXCLUDED.password_hash, scope_code = EXCLUDED.scope_code,"
        " role = EXCLUDED.role, display_name = EXCLUDED.display_name"
        if replace else "DO NOTHING"
    )
    written = await db.fetchval(
        "INSERT INTO users (username, password_hash, scope_code, role, display_name) VALUES ($1, $2, $3, $4, $5)"
        f" ON CONFLICT (username) {conflict} RETURNING true",
        username, password_hash, scope_code, role, display_name,
    )
    return bool(written)
