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
