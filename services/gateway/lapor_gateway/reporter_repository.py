"""The gateway's SQL for the reporter's side (migration ``0004_reporters``): the proofs (``reporter_keys``),
the reporter's view of each complaint (``reporter_cases``, ``reporter_timeline``) and the commands
published for reporters (``reporter_actions``). The rest of the gateway's SQL is in ``repository.py``.

Every function takes a connection or the pool (``Executor``) and runs inside the caller's transaction when given one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
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

CASE_COLUMNS = {
    "title": "text", "confidential": "boolean", "anonymous": "boolean", "agency_name": "text", "zone_code": "text",
    "stage": "text", "due_at": "timestamptz", "close_reason": "text", "reopen_until": "timestamptz",
    "rated": "boolean", "status_before_hold": "text",
}
"""The columns of ``reporter_cases`` an event may set, and their types."""


@dataclass(frozen=True)
class Step:
    """A line of the reporter's timeline written with the case's change (``CaseChange.step``);
    ``agency_name``: the facts get the case's agency name as the change left it."""

    event_id: UUID
    occurred_at: datetime
    kind: str
    facts: dict[str, Any]
    agency_name: bool = False


@dataclass(frozen=True)
class CaseChange:
    """What an event changes in a complaint's row: ``columns`` set, ``status`` as of ``at`` (kept when a
    later event set it already), and ``step`` added to the complaint's timeline."""

    complaint_id: UUID
    tracking_number: str | None
    at: datetime
    status: str | None = None
    step: Step | None = None
    columns: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[tuple[str, ...], bool, bool | None]:
        """Changes of one shape take one statement together."""
        step = None if self.step is None else self.step.agency_name
        return tuple(sorted(self.columns)), self.status is not None, step


async def change_case(
    conn: Executor, complaint_id: UUID, tracking_number: str | None, *, at: datetime, status: str | None = None,
    step: Step | None = None, **columns: Any,
) -> None:
    """Create the complaint's row when it is new and set ``columns``, and add ``step`` to its timeline, in
    ONE statement; ``status`` only when no later event set it already (``status_at``)."""
    await change_cases(conn, [CaseChange(complaint_id, tracking_number, at, status, step, columns)])


async def change_cases(conn: Executor, changes: Sequence[CaseChange]) -> None:
    """``change_case`` for changes of complaints that are all different, one statement per shape."""
    shapes: dict[tuple[tuple[str, ...], bool, bool | None], list[CaseChange]] = {}
    for change in changes:
        unknown = set(change.columns) - set(CASE_COLUMNS)
        if unknown:
            raise ValueError(f"not a column of reporter_cases: {sorted(unknown)}")
        shapes.setdefault(change.shape, []).append(change)
    for (names, with_status, agency_in_step), group in shapes.items():
        await _change_alike(conn, names, with_status, agency_in_step, group)


async def _change_alike(conn: Executor, names: tuple[str, ...], with_status: bool, agency_in_step: bool | None,
                        group: Sequence[CaseChange]) -> None:
    given: dict[str, tuple[str, list[Any]]] = {
        "complaint_id": ("uuid", [c.complaint_id for c in group]),
        "tracking_number": ("text", [c.tracking_number for c in group]),
        **{name: (CASE_COLUMNS[name], [c.columns[name] for c in group]) for name in names},
    }
    sets = ["tracking_number = COALESCE(c.tracking_number, EXCLUDED.tracking_number)",
            *(f"{name} = EXCLUDED.{name}" for name in names)]
    if with_status:
        given["status_at"] = ("timestamptz", [c.at for c in group])
        given["status"] = ("text", [c.status for c in group])
        sets.append("status = CASE WHEN c.status_at IS NULL OR c.status_at <= EXCLUDED.status_at"
                    " THEN EXCLUDED.status ELSE c.status END")
        sets.append("status_at = GREATEST(c.status_at, EXCLUDED.status_at)")
    inserted = list(given)
    steps = [c.step for c in group if c.step is not None]
    if agency_in_step is not None:
        given["step_event_id"] = ("uuid", [s.event_id for s in steps])
        given["step_at"] = ("timestamptz", [s.occurred_at for s in steps])
        given["step_kind"] = ("text", [s.kind for s in steps])
        given["step_facts"] = ("text", [json.dumps(s.facts) for s in steps])
    arrays = ", ".join(f"${i}::{kind}[]" for i, (kind, _) in enumerate(given.values(), start=1))
    args = [values for _, values in given.values()]
    upsert = (f"INSERT INTO reporter_cases AS c ({', '.join(inserted)}, updated_at)"
              f" SELECT {', '.join(inserted)}, now() FROM r"
              f" ON CONFLICT (complaint_id) DO UPDATE SET {', '.join(sets)}, updated_at = now()")
    rows = f"WITH r AS (SELECT * FROM unnest({arrays}) AS r({', '.join(given)}))"
    if agency_in_step is None:
        await conn.execute(f"{rows} {upsert}", *args)
        return
    facts = "r.step_facts::jsonb" + (" || jsonb_build_object('agency_name', changed.agency_name)"
                                     if agency_in_step else "")
    await conn.execute(
        f"{rows}, changed AS ({upsert} RETURNING c.complaint_id, c.agency_name)"
        " INSERT INTO reporter_timeline (event_id, complaint_id, occurred_at, kind, facts)"
        f" SELECT r.step_event_id, r.complaint_id, r.step_at, r.step_kind, {facts}"
        " FROM changed JOIN r USING (complaint_id) ON CONFLICT DO NOTHING",
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
