"""The gateway's SQL for the reporter's side (migration ``0004_reporters``): the proofs (``reporter_keys``),
the reporter's view of each complaint (``reporter_cases``, ``reporter_timeline``) and the commands
published for reporters (``reporter_actions``). The rest of the gateway's SQL is in ``repository.py``.

Every function takes a connection or the pool (``Executor``) and runs inside the caller's transaction when given one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from lapor_shared.db import Executor

UNSHOWN_KEY_KEPT_S = 24 * 3600
"""A reporter's key nobody asked to see is forgotten this long after intake's answer."""

# --- the reporter's key as intake answered it, until shown once -----------------------------------


async def take_reporter_key(conn: Executor, channel: str, channel_message_id: str) -> str | None:
    """The reporter's key of an answered channel message, forgotten as it is read: it is shown once."""
    return await conn.fetchval(
        "UPDATE answers a SET reporter_key = NULL"
        " FROM (SELECT channel, channel_message_id, reporter_key FROM answers"
        "       WHERE channel = $1 AND channel_message_id = $2 AND reporter_key IS NOT NULL FOR UPDATE) old"
        " WHERE a.channel = old.channel AND a.channel_message_id = old.channel_message_id"
        " RETURNING old.reporter_key",
        channel, channel_message_id,
    )


async def forget_unshown_keys(conn: Executor, *, older_than_s: float = UNSHOWN_KEY_KEPT_S, limit: int = 100) -> None:
    await conn.execute(
        "UPDATE answers SET reporter_key = NULL WHERE ctid = ANY(ARRAY("
        " SELECT ctid FROM answers WHERE reporter_key IS NOT NULL"
        " AND answered_at < now() - make_interval(secs => $1) LIMIT $2))",
        older_than_s, limit,
    )


# --- proofs ------------------------------------------------------------------------------------------


async def proof_of(conn: Executor, tracking_number: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT complaint_id, tracking_number, key_verifier, phone_hash FROM reporter_keys"
        " WHERE tracking_number = $1",
        tracking_number,
    )


# --- the reporter's view -------------------------------------------------------------------------------

CASE_COLUMNS = frozenset({
    "title", "confidential", "anonymous", "agency_name", "zone_code", "stage", "due_at", "close_reason",
    "reopen_until", "rated", "status_before_hold",
})


@dataclass(frozen=True)
class Step:
    """A line of the reporter's timeline written with the case's change (``change_case(step=…)``);
    ``agency_name``: the facts get the case's agency name as the change left it."""

    event_id: UUID
    occurred_at: datetime
    kind: str
    facts: dict[str, Any]
    agency_name: bool = False


async def change_case(
    conn: Executor, complaint_id: UUID, tracking_number: str | None, *, at: datetime, status: str | None = None,
    step: Step | None = None, **columns: Any,
) -> None:
    """Create the complaint's row when it is new and set ``columns``, and add ``step`` to its timeline, in
    ONE statement; ``status`` only when no later event set it already (``status_at``)."""
    unknown = set(columns) - CASE_COLUMNS
    if unknown:
        raise ValueError(f"not a column of reporter_cases: {sorted(unknown)}")
    names = sorted(columns)
    args: list[Any] = [complaint_id, tracking_number, *(columns[n] for n in names)]
    inserted = ["complaint_id", "tracking_number", *names]
    values = [f"${i}" for i in range(1, len(args) + 1)]
    sets = ["tracking_number = COALESCE(c.tracking_number, EXCLUDED.tracking_number)",
            *(f"{name} = EXCLUDED.{name}" for name in names)]
    if status is not None:
        args += [at, status]
        when, new = len(args) - 1, len(args)
        inserted += ["status", "status_at"]
        values += [f"${new}", f"${when}"]
        sets.append(f"status = CASE WHEN c.status_at IS NULL OR c.status_at <= ${when} THEN ${new} ELSE c.status END")
        sets.append(f"status_at = GREATEST(c.status_at, ${when})")
    inserted.append("updated_at")
    values.append("now()")
    sets.append("updated_at = now()")
    upsert = (f"INSERT INTO reporter_cases AS c ({', '.join(inserted)}) VALUES ({', '.join(values)})"
              f" ON CONFLICT (complaint_id) DO UPDATE SET {', '.join(sets)}")
    if step is None:
        await conn.execute(upsert, *args)
        return
    n = len(args)
    args += [step.event_id, step.occurred_at, step.kind, step.facts]
    facts = f"${n + 4}::jsonb" + (" || jsonb_build_object('agency_name', changed.agency_name)" if step.agency_name
                                   else "")
    await conn.execute(
        f"WITH changed AS ({upsert} RETURNING c.agency_name)"
        " INSERT INTO reporter_timeline (event_id, complaint_id, occurred_at, kind, facts)"
        f" SELECT ${n + 1}, $1, ${n + 2}, ${n + 3}, {facts} FROM changed ON CONFLICT DO NOTHING",
        *args,
    )


async def case_of(conn: Executor, complaint_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM reporter_cases WHERE complaint_id = $1", complaint_id)


async def add_step(
    conn: Executor, *, event_id: UUID, complaint_id: UUID, occurred_at: datetime, kind: str, facts: dict[str, Any]
) -> None:
    await conn.execute(
        "INSERT INTO reporter_timeline (event_id, complaint_id, occurred_at, kind, facts)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        event_id, complaint_id, occurred_at, kind, facts,
    )


async def steps_of(conn: Executor, complaint_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT event_id, occurred_at, kind, facts FROM reporter_timeline WHERE complaint_id = $1"
        " ORDER BY occurred_at, seq",
        complaint_id,
    )


# --- the reporter's commands and their outcomes ----------------------------------------------------


async def insert_action(
    conn: Executor, *, command_id: UUID, complaint_id: UUID, command_type: str, source: str, fingerprint: str,
    reply_to: str | None = None, in_reply_to: str | None = None,
) -> bool:
    """Remember a command before it goes to the outbox; False when this command id is already known."""
    inserted = await conn.fetchval(
        "INSERT INTO reporter_actions (command_id, complaint_id, command_type, source, fingerprint, reply_to,"
        " in_reply_to) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING true",
        command_id, complaint_id, command_type, source, fingerprint, reply_to, in_reply_to,
    )
    return bool(inserted)


async def action(conn: Executor, command_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT command_id, complaint_id, command_type, source, fingerprint, outcome, reason, created_at, decided_at"
        " FROM reporter_actions WHERE command_id = $1",
        command_id,
    )


async def decide_action(
    conn: Executor, command_id: UUID, *, outcome: str, reason: dict[str, Any] | None = None,
    command_type: str | None = None,
) -> asyncpg.Record | None:
    """Record the outcome of a pending command (of ``command_type``, when given); None when there is no
    such pending command (not the gateway's, or decided already)."""
    return await conn.fetchrow(
        "UPDATE reporter_actions SET outcome = $2, reason = $3, decided_at = now()"
        " WHERE command_id = $1 AND outcome = 'pending' AND ($4::text IS NULL OR command_type = $4)"
        " RETURNING command_id, complaint_id, command_type, source, reply_to, in_reply_to",
        command_id, outcome, reason, command_type,
    )


async def forget_action_reply_to(conn: Executor, command_id: UUID) -> None:
    await conn.execute("UPDATE reporter_actions SET reply_to = NULL WHERE command_id = $1", command_id)
