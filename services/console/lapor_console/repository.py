"""The console's SQL (asyncpg), nothing else. Every query runs in the ``console`` schema; every query of
complaints is bound to one agency (the officer's), so another agency's complaint is not found."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from lapor_console.projection import OPEN, Line, Row
from lapor_shared.db import Conn, Executor

# ----------------------------------------------------------------------------------------- read model


async def lock_complaint(conn: Conn, complaint_id: UUID) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", str(complaint_id))


async def add_line(conn: Conn, line: Line) -> bool:
    inserted = await conn.fetchval(
        "INSERT INTO timeline (event_id, owner_id, complaint_id, event_type, occurred_at, agency_id, body)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING true",
        line.event_id, line.owner_id, line.complaint_id, line.event_type, line.occurred_at, line.agency_id,
        line.body,
    )
    return bool(inserted)


def _line(r: asyncpg.Record) -> Line:
    return Line(r["event_id"], r["owner_id"], r["complaint_id"], r["event_type"], r["occurred_at"], r["agency_id"],
                r["body"])


async def lines(db: Executor, complaint_id: UUID, owner_id: str | None = None) -> list[Line]:
    rows = await db.fetch(
        "SELECT * FROM timeline WHERE complaint_id = $1 AND ($2::text IS NULL OR owner_id = $2)"
        " ORDER BY occurred_at, event_id",
        complaint_id, owner_id,
    )
    return [_line(r) for r in rows]


async def save_row(conn: Conn, row: Row, tracking_number: str | None) -> None:
    values = asdict(row)
    columns = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 2))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != "complaint_id")
    await conn.execute(
        f"INSERT INTO complaints ({', '.join(columns)}, tracking_number) VALUES ({placeholders})"
        f" ON CONFLICT (complaint_id) DO UPDATE SET {updates},"
        " tracking_number = coalesce(EXCLUDED.tracking_number, complaints.tracking_number), updated_at = now()",
        *values.values(), tracking_number,
    )


async def remember_agency(conn: Conn, agency_id: str, name: str, jurisdiction_code: str) -> None:
    await conn.execute(
        "INSERT INTO agency_names (agency_id, name, jurisdiction_code) VALUES ($1, $2, $3)"
        " ON CONFLICT (agency_id) DO UPDATE SET name = EXCLUDED.name, jurisdiction_code = EXCLUDED.jurisdiction_code",
        agency_id, name, jurisdiction_code,
    )


async def agency_names(db: Executor) -> dict[str, str]:
    return {r["agency_id"]: r["name"] for r in await db.fetch("SELECT agency_id, name FROM agency_names")}


# ----------------------------------------------------------------------------------------- work list

OPEN_SQL = "(" + ", ".join(f"'{s}'" for s in OPEN) + ")"


async def worklist(db: Executor, agency_id: str, *, status: str | None, category: str | None, region: str | None,
                   text: str | None, limit: int) -> list[asyncpg.Record]:
    """The agency's open complaints, the nearest deadline first (those owing nothing last)."""
    return await db.fetch(
        f"""
        SELECT complaint_id, tracking_number, status, stage, due_at, overdue, category, title, confidential,
               anonymous, location->>'region_code' AS region_code, routed_at, last_event_at
          FROM complaints
         WHERE agency_id = $1 AND status IN {OPEN_SQL}
           AND ($2::text IS NULL OR status = $2)
           AND ($3::text IS NULL OR category = $3)
           AND ($4::text IS NULL OR location->>'region_code' = $4 OR location->>'region_code' LIKE $4 || '.%')
           AND ($5::text IS NULL OR tracking_number ILIKE '%' || $5 || '%' OR title ILIKE '%' || $5 || '%'
                OR description ILIKE '%' || $5 || '%')
         ORDER BY due_at ASC NULLS LAST, routed_at
         LIMIT $6
        """,
        agency_id, status, category, region, text, limit,
    )


async def filter_choices(db: Executor, agency_id: str) -> dict[str, list[str]]:
    rows = await db.fetch(
        f"SELECT DISTINCT status, category, location->>'region_code' AS region FROM complaints"
        f" WHERE agency_id = $1 AND status IN {OPEN_SQL}", agency_id,
    )
    return {name: sorted({r[name] for r in rows if r[name]}) for name in ("status", "category", "region")}


async def counts(db: Executor, agency_id: str, now: datetime, warning_s: float) -> asyncpg.Record:
    owed = "status IN ('routed', 'acknowledged', 'reporter_replied', 'reopened') AND due_at IS NOT NULL"
    row = await db.fetchrow(
        f"""
        SELECT count(*) AS open,
               count(*) FILTER (WHERE {owed} AND (overdue OR due_at < $2)) AS overdue,
               count(*) FILTER (WHERE {owed} AND NOT overdue AND due_at >= $2
                                AND due_at < $2 + make_interval(secs => $3)) AS warning,
               count(*) FILTER (WHERE status = 'routed') AS new,
               count(*) FILTER (WHERE status = 'reporter_replied') AS replied
          FROM complaints WHERE agency_id = $1 AND status IN {OPEN_SQL}
        """,
        agency_id, now, warning_s,
    )
    assert row is not None  # an aggregate answers one row
    return row


async def fingerprint(db: Executor, agency_id: str) -> str:
    """Changes whenever a complaint of the agency or one of its actions changes."""
    row = await db.fetchrow(
        "SELECT (SELECT count(*) FROM complaints WHERE agency_id = $1) AS n,"
        " (SELECT max(updated_at) FROM complaints WHERE agency_id = $1) AS c,"
        " (SELECT max(coalesce(decided_at, created_at)) FROM actions WHERE agency_id = $1) AS a", agency_id,
    )
    assert row is not None
    return f"{row['n']}|{row['c']}|{row['a']}"


async def complaint(db: Executor, agency_id: str, tracking_number: str) -> asyncpg.Record | None:
    """The complaint when it is ``agency_id``'s now; None for another agency's as for an unknown one."""
    return await db.fetchrow(
        "SELECT * FROM complaints WHERE tracking_number = $1 AND agency_id = $2", tracking_number, agency_id,
    )


async def complaint_fingerprint(db: Executor, complaint_id: UUID) -> str:
    row = await db.fetchrow(
        "SELECT (SELECT updated_at FROM complaints WHERE complaint_id = $1) AS c,"
        " (SELECT count(*) FROM timeline WHERE complaint_id = $1) AS t,"
        " (SELECT max(coalesce(decided_at, created_at)) FROM actions WHERE complaint_id = $1) AS a", complaint_id,
    )
    assert row is not None
    return f"{row['c']}|{row['t']}|{row['a']}"


# ----------------------------------------------------------------------------------------- supervisor figures

async def agency_figures(db: Executor, agency_id: str) -> asyncpg.Record:
    """Answered within the deadline (of those answered or past their deadline), median first response,
    ratings: over every complaint the agency answers for."""
    row = await db.fetchrow(
        """
        SELECT count(*) AS total,
               count(*) FILTER (WHERE first_response_at IS NOT NULL) AS answered,
               count(*) FILTER (WHERE answered_on_time) AS on_time,
               count(*) FILTER (WHERE first_response_at IS NULL AND (overdue OR due_at < now())) AS unanswered_late,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - routed_at))
                   FILTER (WHERE first_response_at IS NOT NULL) AS median_response_s,
               avg(rating)::float AS rating_mean, count(rating) AS rating_count
          FROM complaints WHERE agency_id = $1
        """,
        agency_id,
    )
    assert row is not None
    return row


# ----------------------------------------------------------------------------------------- actions

async def add_action(conn: Conn, *, command_id: UUID, complaint_id: UUID, agency_id: str, username: str,
                     command_type: str, details: dict[str, Any], internal_note: str | None) -> None:
    await conn.execute(
        "INSERT INTO actions (command_id, complaint_id, agency_id, username, command_type, details, internal_note)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        command_id, complaint_id, agency_id, username, command_type, details, internal_note,
    )


async def decide_action(conn: Conn, command_id: UUID, outcome: str, reason: dict[str, Any] | None,
                        at: datetime) -> bool:
    """Record the outcome of a pending command (the first answer counts); False when none was pending."""
    done = await conn.fetchval(
        "UPDATE actions SET outcome = $2, reason = $3, decided_at = $4 WHERE command_id = $1 AND outcome = 'pending'"
        " RETURNING true",
        command_id, outcome, reason, at,
    )
    return bool(done)


async def action(db: Executor, command_id: UUID, agency_id: str) -> asyncpg.Record | None:
    return await db.fetchrow("SELECT * FROM actions WHERE command_id = $1 AND agency_id = $2", command_id, agency_id)


async def actions_of(db: Executor, complaint_id: UUID, agency_id: str) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM actions WHERE complaint_id = $1 AND agency_id = $2 ORDER BY created_at", complaint_id, agency_id,
    )


# ----------------------------------------------------------------------------------------- officers

async def officer(db: Executor, username: str) -> asyncpg.Record | None:
    """The officer and the agency's name as the events gave it (None before any complaint reached it)."""
    return await db.fetchrow(
        "SELECT o.*, a.name AS agency_name FROM officers o LEFT JOIN agency_names a USING (agency_id)"
        " WHERE o.username = $1", username,
    )


async def add_officer(db: Executor, *, username: str, password_hash: str, agency_id: str, role: str,
                      display_name: str | None, replace: bool = False) -> bool:
    conflict = (
        "DO UPDATE SET password_hash = EXCLUDED.password_hash, agency_id = EXCLUDED.agency_id,"
        " role = EXCLUDED.role, display_name = EXCLUDED.display_name" if replace else "DO NOTHING"
    )
    written = await db.fetchval(
        "INSERT INTO officers (username, password_hash, agency_id, role, display_name) VALUES ($1, $2, $3, $4, $5)"
        f" ON CONFLICT (username) {conflict} RETURNING true",
        username, password_hash, agency_id, role, display_name,
    )
    return bool(written)
