"""Learning intake's answers: the ``lapor.submissions.results`` subscriber, the board that wakes the
requests waiting for an answer, and a sweeper for answers this process missed.

Every intake process reads the results in its own consumer group (a unique suffix), so whichever
replica holds the waiting HTTP request sees the answer. Storing the answer is idempotent, so several
replicas storing the same one is harmless. A new group starts at the end of the topic (``latest``):
reading a week of results at every start would be wasted work, and an answer published before the
group joined is found by the sweeper in intake's own store instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from faststream.kafka.annotations import KafkaMessage

from lapor_intake.adapters import replies
from lapor_intake.adapters import repository as repo
from lapor_intake.adapters.settings import AdapterSettings
from lapor_shared import deadletter, unreadable_records
from lapor_shared.events import DecodeError
from lapor_shared.events.codec import decode_record
from lapor_shared.events.intake import ComplaintAccepted, ComplaintRejected
from lapor_shared.logging import get_logger
from lapor_shared.runtime import Runtime
from lapor_shared.topics import SUBMISSION_RESULTS

log = get_logger(component="intake.adapters.results")

Key = tuple[str, str]


class ResultBoard:
    """In-process wake-ups: a request waiting for a channel message's answer sleeps on its event."""

    def __init__(self) -> None:
        self._events: dict[Key, asyncio.Event] = {}
        self._watchers: dict[Key, int] = {}

    @contextlib.contextmanager
    def watch(self, channel: str, channel_message_id: str) -> Iterator[asyncio.Event]:
        key = (channel, channel_message_id)
        event = self._events.setdefault(key, asyncio.Event())
        self._watchers[key] = self._watchers.get(key, 0) + 1
        try:
            yield event
        finally:
            self._watchers[key] -= 1
            if self._watchers[key] == 0:
                del self._watchers[key]
                del self._events[key]

    def notify(self, channel: str, channel_message_id: str) -> None:
        event = self._events.get((channel, channel_message_id))
        if event is not None:
            event.set()


async def settle(
    pool: asyncpg.Pool, board: ResultBoard, settings: AdapterSettings, *, channel: str, channel_message_id: str,
    outcome: str, tracking_number: str | None = None, complaint_id: UUID | None = None,
    reasons: list[dict[str, Any]] | None = None,
) -> bool:
    """Store intake's answer for a submission an adapter published (and queue the SMS reply it
    calls for), then wake whoever waits for it. False when it was already known or is not ours."""
    async with pool.acquire() as conn, conn.transaction():
        row = await repo.record_outcome(
            conn, channel=channel, channel_message_id=channel_message_id, outcome=outcome,
            tracking_number=tracking_number, complaint_id=complaint_id, reasons=reasons,
        )
        if row is not None and row["source"] == "sms" and row["reply_to"]:
            kind, body = replies.for_outcome(outcome, tracking_number, reasons, settings.sms_short_code)
            await repo.queue_sms(conn, in_reply_to=channel_message_id, kind=kind, to_phone=row["reply_to"], body=body)
            await repo.forget_reply_to(conn, channel, channel_message_id)
    board.notify(channel, channel_message_id)
    if row is not None:
        log.info("submission_answered", channel=channel, outcome=outcome, tracking_number=tracking_number)
    return row is not None


async def settle_from_intake(
    pool: asyncpg.Pool, board: ResultBoard, settings: AdapterSettings, channel: str, channel_message_id: str
) -> bool:
    """Look the answer up in intake's own store (read-only) and settle it, if intake has decided."""
    found = await repo.intake_outcome(pool, channel, channel_message_id)
    if found is None:
        return False
    await settle(pool, board, settings, channel=channel, channel_message_id=channel_message_id, **found)
    return True


RESULTS_READER = "intake.adapters.results"
"""The inbox name under which an unreadable result is dead-lettered once, whichever replica saw it first."""


def _answer(envelope: Any) -> dict[str, Any] | None:
    """The answer a result message carries, as ``settle`` keywords (None: not an answer)."""
    payload = envelope.payload
    if isinstance(payload, ComplaintAccepted):
        return dict(channel=str(payload.channel), channel_message_id=payload.channel_message_id, outcome="accepted",
                    tracking_number=envelope.tracking_number, complaint_id=envelope.complaint_id)
    if isinstance(payload, ComplaintRejected):
        return dict(channel=str(payload.channel), channel_message_id=payload.channel_message_id, outcome="rejected",
                    reasons=[r.model_dump() for r in payload.reasons])
    return None


async def on_results(runtime: Runtime, board: ResultBoard, settings: AdapterSettings, records: list[Any]) -> None:
    """A batch from the results topic; only submissions these adapters published and still wait for are
    settled (one look-up for the batch). An unreadable result is dead-lettered once (every replica reads
    every result; the inbox lets only the first write it). Never raises: a failure here is caught up by
    the sweeper, and a dead letter not written now is written by the next replica that reads it."""
    answers: list[dict[str, Any]] = []
    unreadable: list[tuple[Any, str]] = []
    for record in records:
        skipped = unreadable_records.reason_of(record)
        if skipped is not None:
            unreadable.append((record, skipped))
            continue
        try:
            answer = _answer(decode_record(record))
        except DecodeError as exc:
            unreadable.append((record, exc.reason))
            continue
        if answer is not None:
            answers.append(answer)
    try:
        for record, reason in unreadable:
            await deadletter.write_once(runtime.pool, runtime.outbox, record, consumer=RESULTS_READER, reason=reason)
        if unreadable:
            log.warning("results_unreadable", count=len(unreadable))
        if not answers:
            return
        pool = runtime.pool
        ours = await repo.pending_among(pool, [(a["channel"], a["channel_message_id"]) for a in answers])
        for answer in answers:
            if (answer["channel"], answer["channel_message_id"]) in ours:
                await settle(pool, board, settings, **answer)
    except Exception as exc:  # the database is away: the sweeper settles it later from intake's store
        log.warning("result_not_stored", error=repr(exc)[:300])


class Sweeper:
    """Every few seconds, settles submissions whose answer this process did not receive."""

    def __init__(self, board: ResultBoard, settings: AdapterSettings) -> None:
        self._board = board
        self._settings = settings
        self._task: asyncio.Task[None] | None = None

    async def start(self, runtime: Runtime) -> None:
        self._task = asyncio.create_task(self._run(runtime), name="adapters-sweeper")

    async def stop(self, runtime: Runtime) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def sweep_once(self, pool: asyncpg.Pool) -> int:
        settled = 0
        for row in await repo.pending_submissions(pool, older_than_s=self._settings.sweep_interval_s):
            if await settle_from_intake(pool, self._board, self._settings, row["channel"], row["channel_message_id"]):
                settled += 1
        if settled:
            log.info("missed_results_settled", count=settled)
        return settled

    async def _run(self, runtime: Runtime) -> None:
        while True:
            await asyncio.sleep(self._settings.sweep_interval_s)
            try:
                await self.sweep_once(runtime.pool)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("sweep_failed", error=repr(exc))


def results_group(settings: AdapterSettings) -> str:
    """A consumer group of this process alone."""
    return f"{settings.results_group_prefix}-{socket.gethostname()}-{os.getpid()}-{uuid4().hex[:8]}"


def register_results(runtime: Runtime, board: ResultBoard, settings: AdapterSettings) -> None:
    options = {**runtime.subscriber_defaults, "auto_offset_reset": "latest", "batch": True,
               "max_records": runtime.settings.delivery.batch_max_records,
               "batch_timeout_ms": runtime.settings.delivery.batch_timeout_ms}

    @runtime.broker.subscriber(SUBMISSION_RESULTS.name, group_id=results_group(settings), **options)
    async def on_submission_results(bodies: list[bytes], msg: KafkaMessage) -> None:
        raw = msg.raw_message
        await on_results(runtime, board, settings, list(raw) if isinstance(raw, tuple | list) else [raw])

    sweeper = Sweeper(board, settings)
    runtime.on_started.append(sweeper.start)
    runtime.on_stopping.append(sweeper.stop)
