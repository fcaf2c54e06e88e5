"""Routing's SQL, inside the caller's transaction (or on the pool, for look-ups)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

import asyncpg

from lapor_shared.db import Conn, Executor
from lapor_shared.events.values import Reason

_SEED_LOCK = 0x5E0D
"""Advisory lock key: one replica at a time loads the seed."""

_AGENCY_COLUMNS = "agency_id, name, jurisdiction_code, level, categories, parent_id, channels, active"


# --- the agency registry -----------------------------------------------------------------------------


async def registry_revision(conn: Executor) -> tuple[int, UUID]:
    """The registry's change counter and its revision (a new random id at every change)."""
    row = await conn.fetchrow("SELECT version, revision FROM registry_state")
    assert row is not None, "migration 0001 writes the one registry_state row"
    return int(row["version"]), row["revision"]


async def load_agencies(conn: Executor) -> tuple[tuple[int, UUID], list[asyncpg.Record]]:
    """The registry's revision and every agency.

    The revision is read first: should a change commit in between, the rows are newer than the revision,
    and the next revision check reloads them (never the other way round, which would hide a change).
    """
    if isinstance(conn, asyncpg.Pool):
        async with conn.acquire() as one:
            return await load_agencies(one)
    revision = await registry_revision(conn)
    rows = await conn.fetch(f"SELECT {_AGENCY_COLUMNS} FROM agencies ORDER BY agency_id")
    return revision, rows


async def _bump_version(conn: Conn) -> None:
    await conn.execute("UPDATE registry_state SET version = version + 1, revision = gen_random_uuid()")


async def load_seed(conn: Conn, agencies: Iterable[dict[str, Any]]) -> int:
    """Insert the seed agencies, refresh the seed rows that differ; rows set by commands stay as they are.

    Returns how many rows changed (the registry version moves when any did).
    """
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _SEED_LOCK)
    changed = await conn.fetch(
        f"""
        INSERT INTO agencies ({_AGENCY_COLUMNS}, source)
        SELECT {_AGENCY_COLUMNS}, 'seed' FROM jsonb_to_recordset($1::jsonb) AS s (
            agency_id text, name text, jurisdiction_code text, level text, categories text[],
            parent_id text, channels text[], active boolean)
        ON CONFLICT (agency_id) DO UPDATE SET
            name = EXCLUDED.name, categories = EXCLUDED.categories, parent_id = EXCLUDED.parent_id,
            channels = EXCLUDED.channels, active = EXCLUDED.active, updated_at = now()
        WHERE agencies.source = 'seed'
          AND (agencies.name, agencies.categories, agencies.parent_id, agencies.channels, agencies.active)
              IS DISTINCT FROM
              (EXCLUDED.name, EXCLUDED.categories, EXCLUDED.parent_id, EXCLUDED.channels, EXCLUDED.active)
        RETURNING agency_id
        """,
        list(agencies),
    )
    if changed:
        await _bump_version(conn)
    return len(changed)


async def upsert_agency(conn: Conn, agency: dict[str, Any]) -> None:
    await conn.execute(
        f"""
        INSERT INTO agencies ({_AGENCY_COLUMNS}, source)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'command')
        ON CONFLICT (agency_id) DO UPDATE SET
            name = EXCLUDED.name, categories = EXCLUDED.categories, parent_id = EXCLUDED.parent_id,
            channels = EXCLUDED.channels, active = EXCLUDED.active, source = 'command',
            deactivation_reason = NULL, updated_at = now()
        """,
        agency["agency_id"], agency["name"], agency["jurisdiction_code"], agency["level"],
        list(agency["categories"]), agency["parent_id"], list(agency["channels"]), agency["active"],
    )
    await _bump_version(conn)


async def deactivate_agency(conn: Conn, agency_id: str, reason: str | None) -> None:
    await conn.execute(
        "UPDATE agencies SET active = false, source = 'command', deactivation_reason = $2, updated_at = now()"
        " WHERE agency_id = $1",
        agency_id, reason,
    )
    await _bump_version(conn)


async def record_registry_command(
    conn: Conn, *, command_id: UUID, command_type: str, agency_id: str, reasons: Sequence[Reason]
) -> None:
    await conn.execute(
        "INSERT INTO registry_commands (command_id, command_type, agency_id, outcome, reasons)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (command_id) DO NOTHING",
        command_id, command_type, agency_id, "rejected" if reasons else "applied",
        [r.model_dump() for r in reasons],
    )


# --- complaints -------------------------------------------------------------------------------------------


async def insert_complaints(conn: Conn, rows: Sequence[Mapping[str, Any]]) -> set[UUID]:
    """Store newly accepted complaints (a row each: the ``complaints`` columns but ``agency_path``), in one
    statement: the ids stored now (a complaint routing already has is left as it was)."""
    if not rows:
        return set()
    stored = await conn.fetchval(
        """
        WITH new AS (
            INSERT INTO complaints (complaint_id, tracking_number, correlation_id, status, agency_id,
                                    jurisdiction_code, route_count, agency_path, content, anonymous, confidential)
            SELECT t.complaint_id, t.tracking_number, t.correlation_id, t.status, t.agency_id, t.jurisdiction_code,
                   t.route_count, CASE WHEN t.agency_id IS NULL THEN '{}' ELSE ARRAY[t.agency_id] END,
                   t.content::jsonb, t.anonymous, t.confidential
            FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::int[],
                        $8::text[], $9::boolean[], $10::boolean[])
                AS t (complaint_id, tracking_number, correlation_id, status, agency_id, jurisdiction_code,
                      route_count, content, anonymous, confidential)
            ON CONFLICT (complaint_id) DO NOTHING RETURNING complaint_id
        )
        SELECT array(SELECT complaint_id FROM new)
        """,
        *_columns(rows, ("complaint_id", "tracking_number", "correlation_id", "status", "agency_id",
                         "jurisdiction_code", "route_count"), json_keys=("content",),
                  tail=("anonymous", "confidential")),
    )
    return set(stored)


def _columns(rows: Sequence[Mapping[str, Any]], keys: Sequence[str], *, json_keys: Sequence[str] = (),
             tail: Sequence[str] = ()) -> list[list[Any]]:
    """The rows as one array per column (``keys``, then ``json_keys`` as JSON text, then ``tail``)."""
    return ([[r[k] for r in rows] for k in keys] + [[json.dumps(r[k]) for r in rows] for k in json_keys]
            + [[r[k] for r in rows] for k in tail])


async def lock_complaint(conn: Conn, complaint_id: UUID) -> asyncpg.Record | None:
    """The complaint with its open triage entry (if any), locked for this transaction."""
    return await conn.fetchrow(
        """
        SELECT c.*, t.triage_jurisdiction, t.state AS triage_state
        FROM complaints c LEFT JOIN triage t USING (complaint_id)
        WHERE c.complaint_id = $1
        FOR UPDATE OF c
        """,
        complaint_id,
    )


async def route_to(
    conn: Conn, complaint_id: UUID, *, agency_id: str, jurisdiction_code: str,
    forwarded: bool, restart_path: bool,
) -> None:
    """The complaint has a new responsible agency (a forwarding, or an admin's disposition)."""
    await conn.execute(
        """
        UPDATE complaints SET status = 'routed', agency_id = $2, jurisdiction_code = $3,
            route_count = route_count + 1,
            forward_count = CASE WHEN $5 THEN 0 WHEN $4 THEN forward_count + 1 ELSE forward_count END,
            agency_path = CASE WHEN $5 THEN ARRAY[$2] ELSE agency_path || $2 END,
            updated_at = now()
        WHERE complaint_id = $1
        """,
        complaint_id, agency_id, jurisdiction_code, forwarded, restart_path,
    )


async def set_status(
    conn: Conn, complaint_id: UUID, *, status: str, jurisdiction_code: str, agency_id: str | None
) -> None:
    await conn.execute(
        "UPDATE complaints SET status = $2, jurisdiction_code = $3, agency_id = $4, updated_at = now()"
        " WHERE complaint_id = $1",
        complaint_id, status, jurisdiction_code, agency_id,
    )


# --- triage -------------------------------------------------------------------------------------------


async def enter_triage(
    conn: Conn, complaint_id: UUID, *, triage_jurisdiction: str, reason: Reason
) -> None:
    await conn.execute(
        """
        INSERT INTO triage (complaint_id, triage_jurisdiction, state, reason_code, reason)
        VALUES ($1, $2, 'waiting', $3, $4)
        ON CONFLICT (complaint_id) DO UPDATE SET
            triage_jurisdiction = EXCLUDED.triage_jurisdiction, state = 'waiting',
            reason_code = EXCLUDED.reason_code, reason = EXCLUDED.reason, entered_at = now(),
            decided_at = NULL, decision = NULL, decided_by = NULL, decision_reason = NULL, agency_id = NULL
        """,
        complaint_id, triage_jurisdiction, reason.code, reason.model_dump(),
    )


async def decide_triage(
    conn: Conn, complaint_id: UUID, *, state: str, decision: str, decided_by: str,
    decision_reason: str, agency_id: str | None,
) -> None:
    await conn.execute(
        """
        UPDATE triage SET state = $2, decision = $3, decided_by = $4, decision_reason = $5, agency_id = $6,
            decided_at = now()
        WHERE complaint_id = $1
        """,
        complaint_id, state, decision, decided_by, decision_reason, agency_id,
    )


async def open_triage(conn: Executor, triage_jurisdiction: str | None, *, scope: str) -> list[asyncpg.Record]:
    """The complaints waiting (or held) in triage within ``scope``'s subtree, oldest first; at one level
    when given."""
    return await conn.fetch(
        """
        SELECT t.complaint_id, c.tracking_number, t.triage_jurisdiction, t.state, t.reason_code, t.reason,
               t.entered_at
        FROM triage t JOIN complaints c USING (complaint_id)
        WHERE t.state IN ('waiting', 'held') AND ($1::text IS NULL OR t.triage_jurisdiction = $1)
          AND ($2 = 'ID' OR t.triage_jurisdiction = $2 OR starts_with(t.triage_jurisdiction, $2 || '.'))
        ORDER BY t.entered_at
        """,
        triage_jurisdiction, scope,
    )


# --- decision history ----------------------------------------------------------------------------------


async def record_decisions(conn: Conn, rows: Sequence[Mapping[str, Any]]) -> None:
    """``record_decision`` for many (``rows`` of its keyword arguments), in one statement."""
    if not rows:
        return
    await conn.execute(
        """
        INSERT INTO routing_decisions (complaint_id, tracking_number, agency_id, jurisdiction_code,
                                       reason_code, reason, anonymous, confidential, step, outcome,
                                       route_count, actor, cause_event_id)
        SELECT t.complaint_id, t.tracking_number, t.agency_id, t.jurisdiction_code, t.reason_code,
               t.reason::jsonb, t.anonymous, t.confidential, t.step, t.outcome, t.route_count, t.actor,
               t.cause_event_id
        FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[],
                    $8::boolean[], $9::text[], $10::text[], $11::int[], $12::text[], $13::uuid[])
            AS t (complaint_id, tracking_number, agency_id, jurisdiction_code, reason_code, reason, anonymous,
                  confidential, step, outcome, route_count, actor, cause_event_id)
        ON CONFLICT DO NOTHING
        """,
        [r["complaint_id"] for r in rows], [r["tracking_number"] for r in rows], [r["agency_id"] for r in rows],
        [r["jurisdiction_code"] for r in rows], [r["reason"].code for r in rows],
        [json.dumps(r["reason"].model_dump()) for r in rows], [r["anonymous"] for r in rows],
        [r["confidential"] for r in rows], [r["step"] for r in rows], [r["outcome"] for r in rows],
        [r["route_count"] for r in rows], [r["actor"] for r in rows], [r["cause_event_id"] for r in rows],
    )


async def record_decision(
    conn: Conn,
    *,
    complaint_id: UUID,
    tracking_number: str,
    step: str,
    outcome: str,
    agency_id: str | None,
    jurisdiction_code: str,
    reason: Reason,
    route_count: int | None,
    anonymous: bool,
    confidential: bool,
    actor: str | None = None,
    cause_event_id: UUID | None = None,
) -> None:
    await conn.execute(
        """
        INSERT INTO routing_decisions (complaint_id, tracking_number, agency_id, jurisdiction_code,
                                       reason_code, reason, anonymous, confidential, step, outcome,
                                       route_count, actor, cause_event_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
        ON CONFLICT DO NOTHING
        """,
        complaint_id, tracking_number, agency_id, jurisdiction_code, reason.code, reason.model_dump(),
        anonymous, confidential, step, outcome, route_count, actor, cause_event_id,
    )
