"""The SQL of followup's read API (``http``): an agency's work list and the statistics of a jurisdiction
subtree, read from the same ``complaints`` table the use cases write (``readmodels`` shapes the rows)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from lapor_shared.db import Conn

Row = dict[str, Any]


async def worklist(
    conn: Conn | asyncpg.Pool, agency_id: str, *, owed: Sequence[str], limit: int
) -> list[Row]:
    """Open complaints the agency answers for (or was escalated to), the nearest agency deadline first."""
    rows = await conn.fetch(
        """
        SELECT *, CASE WHEN agency_id = $1 THEN 'responsible' ELSE 'escalated' END AS role,
               CASE WHEN status = ANY($2::text[]) THEN due_at END AS agency_due_at
        FROM complaints
        WHERE status <> 'closed' AND (agency_id = $1 OR escalated_to @> ARRAY[$1])
        ORDER BY agency_due_at NULLS LAST, routed_at, complaint_id
        LIMIT $3
        """,
        agency_id, list(owed), limit,
    )
    return [dict(r) for r in rows]


_SUBTREE = "($1 = 'ID' OR jurisdiction_code = $1 OR jurisdiction_code LIKE $1 || '.%')"


async def statistics(
    conn: Conn | asyncpg.Pool, code: str, *, now: datetime, owed: Sequence[str]
) -> Row:
    """Counts and measures over every complaint whose responsible agency sits at ``code`` or below."""
    row = await conn.fetchrow(
        f"""
        SELECT count(*) AS total,
               count(*) FILTER (WHERE status <> 'closed') AS open,
               count(*) FILTER (WHERE status = ANY($3::text[]) AND due_at < $2) AS overdue,
               count(*) FILTER (WHERE escalation_level > 0 AND status <> 'closed') AS escalated,
               count(first_response_at) AS answered,
               count(*) FILTER (WHERE answered_in_time) AS answered_in_time,
               percentile_cont(0.5) WITHIN GROUP (
                   ORDER BY extract(epoch FROM first_response_at - routed_at)
               ) FILTER (WHERE first_response_at IS NOT NULL) AS median_first_response_s,
               count(rating) AS rated,
               coalesce(sum(rating), 0) AS rating_sum
        FROM complaints WHERE {_SUBTREE}
        """,
        code, now, list(owed),
    )
    by_status = await conn.fetch(
        f"SELECT status, count(*) AS n FROM complaints WHERE {_SUBTREE} GROUP BY status", code
    )
    by_rating = await conn.fetch(
        f"SELECT rating, count(*) AS n FROM complaints WHERE {_SUBTREE} AND rating IS NOT NULL GROUP BY rating",
        code,
    )
    assert row is not None  # an aggregate answers one row
    result = dict(row)
    result["by_status"] = {r["status"]: r["n"] for r in by_status}
    result["by_rating"] = {int(r["rating"]): r["n"] for r in by_rating}
    return result


async def child_counts(
    conn: Conn | asyncpg.Pool, code: str, *, now: datetime, owed: Sequence[str]
) -> list[Row]:
    """Totals per direct child of ``code`` (provinces of the nation, regencies of a province); the
    node's own agencies appear under ``code`` itself."""
    child = (
        "split_part(jurisdiction_code, '.', 1)" if code == "ID"
        else "CASE WHEN jurisdiction_code = $1 THEN $1 ELSE jurisdiction_code END"
    )
    rows = await conn.fetch(
        f"""
        SELECT {child} AS code, count(*) AS total,
               count(*) FILTER (WHERE status <> 'closed') AS open,
               count(*) FILTER (WHERE status = ANY($3::text[]) AND due_at < $2) AS overdue
        FROM complaints WHERE {_SUBTREE}
        GROUP BY 1 ORDER BY 1
        """,
        code, now, list(owed),
    )
    return [dict(r) for r in rows]
