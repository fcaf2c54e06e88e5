"""The dashboard's SQL (asyncpg), nothing else. Every query runs in the ``dashboard`` schema.

A *node* is a code of the jurisdiction tree: ``ID`` (everything), a province (``18``: the province's own
complaints and all its regencies and cities) or a regency/city (``18.71``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg

from lapor_dashboard.projection import FINISHED, OWED, LogEntry, Row
from lapor_shared.db import Conn, Executor
from lapor_shared.events.values import NATIONAL_CODE

GroupBy = Literal["node", "child", "agency"]

# ----------------------------------------------------------------------------------------- read model


async def add_event_and_read_log(conn: Conn, entry: LogEntry) -> list[LogEntry] | None:
    """Record one line of a complaint's event log and read the whole log back, in one statement; None
    when the line was already there. Run after ``lock_complaint``: the statement's snapshot then holds
    every line another fold committed (the new line is not in it, so it is added from ``new``)."""
    rows = await conn.fetch(
        "WITH new AS (INSERT INTO complaint_events (event_id, complaint_id, occurred_at, event_type, facts)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING"
        " RETURNING event_id, complaint_id, event_type, occurred_at, facts)"
        " SELECT event_id, complaint_id, event_type, occurred_at, facts FROM new"
        " UNION ALL SELECT e.event_id, e.complaint_id, e.event_type, e.occurred_at, e.facts"
        " FROM complaint_events e WHERE e.complaint_id = $2 AND EXISTS (SELECT 1 FROM new)",
        entry.event_id, entry.complaint_id, entry.occurred_at, entry.event_type, entry.facts,
    )
    return [LogEntry(r["event_id"], r["complaint_id"], r["event_type"], r["occurred_at"], r["facts"])
            for r in rows] or None


async def events_of(db: Executor, complaint_id: UUID) -> list[LogEntry]:
    rows = await db.fetch(
        "SELECT event_id, complaint_id, event_type, occurred_at, facts FROM complaint_events"
        " WHERE complaint_id = $1",
        complaint_id,
    )
    return [LogEntry(r["event_id"], r["complaint_id"], r["event_type"], r["occurred_at"], r["facts"]) for r in rows]


async def lock_complaint(conn: Conn, complaint_id: UUID) -> None:
    """Serialise the fold of one complaint (the live consumer and a rebuild may both be at it)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", str(complaint_id))


async def save_row(conn: Conn, row: Row, *, tracking_number: str | None, title: str | None) -> None:
    """Insert or replace the complaint's row; tracking number and title are kept when not given."""
    await conn.execute(
        """
        INSERT INTO complaints (
            complaint_id, tracking_number, jurisdiction_code, province_code, responsible_code, agency_id,
            agency_name, agency_level, category, report_type, status, confidential, title, received_at,
            routed_at, first_response_at, answered_on_time, stage, due_at, overdue, closed_at, close_reason,
            rating, escalations, escalation_level, last_event_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
                $21, $22, $23, $24, $25, $26, now())
        ON CONFLICT (complaint_id) DO UPDATE SET
            tracking_number = coalesce(EXCLUDED.tracking_number, complaints.tracking_number),
            jurisdiction_code = EXCLUDED.jurisdiction_code, province_code = EXCLUDED.province_code,
            responsible_code = EXCLUDED.responsible_code, agency_id = EXCLUDED.agency_id,
            agency_name = EXCLUDED.agency_name, agency_level = EXCLUDED.agency_level,
            category = EXCLUDED.category, report_type = EXCLUDED.report_type, status = EXCLUDED.status,
            confidential = EXCLUDED.confidential, title = coalesce(EXCLUDED.title, complaints.title),
            received_at = EXCLUDED.received_at, routed_at = EXCLUDED.routed_at,
            first_response_at = EXCLUDED.first_response_at, answered_on_time = EXCLUDED.answered_on_time,
            stage = EXCLUDED.stage, due_at = EXCLUDED.due_at, overdue = EXCLUDED.overdue,
            closed_at = EXCLUDED.closed_at, close_reason = EXCLUDED.close_reason, rating = EXCLUDED.rating,
            escalations = EXCLUDED.escalations, escalation_level = EXCLUDED.escalation_level,
            last_event_at = EXCLUDED.last_event_at, updated_at = now()
        """,
        row.complaint_id, tracking_number, row.jurisdiction_code, row.province_code, row.responsible_code,
        row.agency_id, row.agency_name, row.agency_level, row.category, row.report_type, row.status,
        row.confidential, title, row.received_at, row.routed_at, row.first_response_at, row.answered_on_time,
        row.stage, row.due_at, row.overdue, row.closed_at, row.close_reason, row.rating, row.escalations,
        row.escalation_level, row.last_event_at,
    )


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
