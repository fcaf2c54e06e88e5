"""Consuming with delivery guarantees: decode → inbox → effect → outbox, in one transaction.

Longer than ~300 lines on purpose: the one path every message takes (decode, inbox, effect, outbox,
retry, dead letter, rewind) reads best whole; its helpers (inbox, retry, deadletter, tx) are their own modules.

Every subscriber of every service hands its messages to a ``Consumer``. Whatever arrives:
- a message that cannot be decoded, or whose record breaks the contract (headers or key that disagree
  with the body, an event that does not belong on the topic), is dead-lettered with the reason;
- an event already in the inbox is skipped (redelivery is harmless); the same event id with another
  body is dead-lettered as a conflict;
- the handler's state change, its outgoing events (outbox) and the inbox row commit together (a batch
  records its inbox rows last, with its events, in one statement: a redelivered batch rolls back and
  is taken one by one);
- a handler that fails is retried a bounded number of times with backoff and jitter, then
  dead-lettered, so a poison message never blocks its partition; a database that is away (outage,
  failover, timeout, connection reset) is waited out without limit, since no message could make
  progress meanwhile, and the offset is not committed;
- a defect of our own that escapes all that rewinds only the partitions whose records are unfinished.
Log volume stays bounded: a poison message writes two lines, an outage a line per doubling of its length.

Longer than ~300 lines on purpose: every delivery guarantee above is one path through this class (batch,
one by one, retries, dead letter, rewind), and they are checked together or not at all.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import TopicPartition

from lapor_shared import deadletter, unreadable_records
from lapor_shared.db import Conn
from lapor_shared.event_scope import EventScope
from lapor_shared.events import DecodeError, Envelope, Payload
from lapor_shared.events.codec import declared_event_type, decode_record
from lapor_shared.inbox import InboxRows, claim, claim_many, digest_of
from lapor_shared.logging import get_logger, log_scope
from lapor_shared.metrics import Metrics
from lapor_shared.offset_gaps import OffsetGaps
from lapor_shared.outbox import Outbox
from lapor_shared.retry import TRANSIENT_ERRORS, backoff, worth_logging
from lapor_shared.safejson import Limits
from lapor_shared.settings import DeliverySettings
from lapor_shared.tx import Answer, Batch, Handler, Pending, Source, Tx, Use, with_events

__all__ = ["TRANSIENT_ERRORS", "Batch", "Consumer", "Handler", "Source", "Tx", "Use", "claim", "claim_many",
           "redact_body", "with_events"]

log = get_logger(component="consumer")
redact_body = deadletter.redact_body


@dataclass
class _Item:
    """One record of a batch, decoded (or not) and matched with its handler."""

    record: Any
    envelope: Envelope[Any] | None = None
    reason: str | None = None
    handler: Use | None = None

    @property
    def message_id(self) -> str:
        return str(self.envelope.event_id) if self.envelope is not None else deadletter.undecodable_id(self.record)


class _Conflict(Exception):
    """A batch holds an event id twice with two bodies, or one recorded before: taken one by one instead."""


class Consumer:
    def __init__(
        self,
        name: str,
        pool: Callable[[], asyncpg.Pool],
        *,
        producer: str,
        handlers: Mapping[type[Payload], Use],
        settings: DeliverySettings,
        outbox: Outbox | None = None,
        metrics: Metrics | None = None,
        answer_undecodable: Answer | None = None,
        serial: str | None = None,
    ) -> None:
        """``pool`` is a callable so that consumers can be declared before the pool exists. ``handlers``
        maps each event type to a use case taking one event, or to a ``Batch`` taking a run of them.

        ``serial`` names a lock that consumers of one service share when they write the same rows in
        orders of their own (two topics keyed differently): each transaction takes it first, so their
        transactions run one after the other instead of deadlocking and falling back to one by one.
        """
        self._serial = serial
        self.name = name
        self._answer = answer_undecodable
        self._get_pool = pool
        self._producer = producer
        self._handlers = dict(handlers)
        self.handled_types = tuple(self._handlers)
        self._handled_names = frozenset(t.event_type for t in self.handled_types)
        self._settings = settings
        self._limits = Limits(max_bytes=settings.max_message_bytes, max_depth=settings.max_json_depth)
        self._outbox = outbox or Outbox()
        self._metrics = metrics
        self.processed = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self._defects = 0
        self._gaps = OffsetGaps(settings.offset_gap_wait_ms / 1000)

    # --- entry points -------------------------------------------------------------------------------

    async def handle(self, msg: Any) -> dict[TopicPartition, int]:
        """One message (or, from a batch subscriber, a tuple of records) through the guarantees. Returns, per
        partition, the offset to commit: after its last record, or its earliest unfinished one where a
        defect rewound it (``lapor_shared.commits``). Records after a missing offset are not handled yet: the
        consumer reads them again once the missing one is there (``lapor_shared.offset_gaps``)."""
        raw = msg.raw_message
        held_back = self._gaps.held_back
        records = await self._gaps.admit(getattr(msg, "consumer", None),
                                         list(raw) if isinstance(raw, tuple | list) else [raw])
        if self._gaps.held_back > held_back and self._metrics is not None:
            self._metrics.gap_held_back(self.name)
        done: set[int] = set()
        began = time.perf_counter()
        try:
            await self._handle_records(records, done)
        except asyncio.CancelledError:
            raise  # shutting down: nothing is committed, the group redelivers from the last commit
        except Exception as exc:
            await self._rewind_unfinished(msg, records, done, exc)
        log.debug("records_handled", consumer=self.name, records=len(records),
                  ms=round((time.perf_counter() - began) * 1000, 1))
        return finished_offsets(records, done)

    async def handle_batch(self, records: list[Any]) -> None:
        """Records in order, all in ONE transaction (one commit; their offsets are then finished together).

        If anything in the batch fails, the transaction rolls back as a whole and the records are
        taken one by one, each with its own retries, dead letter or wait for the database.
        """
        await self._handle_records(records, set())

    async def _handle_records(self, records: list[Any], done: set[int]) -> None:
        if not records:
            return
        if len(records) > 1:
            try:
                await self._apply_batch(records)
                done.update(range(len(records)))
                return
            except asyncio.CancelledError:
                raise
            except _Conflict:
                pass
            except Exception as exc:
                log.warning("batch_failed_one_by_one", error=deadletter.clean_text(repr(exc), 300),
                            size=len(records))
        for index, record in enumerate(records):
            with log_scope({"topic": record.topic, "partition": record.partition, "offset": record.offset}):
                await self._handle_one(record)
            done.add(index)

    # --- a batch in one transaction -------------------------------------------------------------------

    def _prepare(self, record: Any) -> _Item | None:
        skipped = unreadable_records.reason_of(record)
        if skipped is not None:
            return _Item(record, reason=skipped)
        declared = declared_event_type(record)
        if declared is not None and declared not in self._handled_names:
            return None  # another consumer's event by its header: skipped unread, its offset commits as usual
        try:
            envelope = decode_record(record, self._limits)
        except DecodeError as exc:
            return _Item(record, reason=exc.reason)
        handler = self._handlers.get(type(envelope.payload))
        return _Item(record, envelope, handler=handler) if handler is not None else None

    async def _apply_batch(self, records: list[Any]) -> None:
        """The batch's effects first, its inbox rows last, written with its events by one statement. An
        event recorded before (a redelivery, or its id reused for another body) rolls the batch back, and
        its records are taken one by one, each claimed before its effect (``_apply``)."""
        work = [item for item in map(self._prepare, records) if item is not None]
        if not work:
            return
        ids = [item.message_id for item in work]
        digests = [digest_of(item.envelope) if item.envelope is not None else None for item in work]
        first = dict(zip(ids, digests, strict=True))  # each id once, in order
        if len(set(zip(ids, digests, strict=True))) != len(first):
            raise _Conflict()  # one id, two bodies in this batch
        processed = dead = duplicates = 0
        pending = Pending()
        seen: set[str] = set()
        async with self._get_pool().acquire() as conn, conn.transaction():
            await self._begin(conn)
            run: list[Tx] = []  # consecutive events of one Batch use case, handed over together
            run_of: Batch | None = None
            for item, message_id in zip(work, ids, strict=True):
                if message_id in seen:
                    duplicates += 1  # the same event twice in one batch runs once
                    continue
                seen.add(message_id)
                processed += 1
                handler, envelope = item.handler, item.envelope
                if isinstance(handler, Batch) and envelope is not None:
                    if handler != run_of:
                        await self._run(run_of, run)
                        run, run_of = [], handler
                    run.append(self._tx(conn, envelope, item.record, pending))
                    continue
                await self._run(run_of, run)
                run, run_of = [], None
                if envelope is None or handler is None or isinstance(handler, Batch):
                    if await self._settle_undecodable(conn, item.record, message_id, item.reason or "undecodable"):
                        processed -= 1
                        dead += 1
                    continue
                scope = EventScope(item.record, envelope)
                with scope.span(self.name):
                    await handler(self._tx(conn, envelope, item.record, pending, scope), envelope)
            await self._run(run_of, run)
            emitted = bool(pending.envelopes)
            if not await pending.flush(conn, self._outbox, InboxRows(self.name, list(first), list(first.values()))):
                raise _Conflict()  # recorded before: nothing of this batch commits
        if emitted:
            self._outbox.wake_relay()
        self._count(processed=processed, duplicates=duplicates, dead=dead)
        if duplicates:
            log.info("duplicate_skipped", count=duplicates)
        if dead:
            log.warning("message_dead_lettered", count=dead,
                        reasons=sorted({deadletter.clean_text(i.reason or "", 120) for i in work if i.reason}))

    @staticmethod
    async def _run(batch: Batch | None, txs: list[Tx]) -> None:
        """Hand a run of events to its ``Batch`` use case (nothing to do for an empty run)."""
        if batch is not None and txs:
            await batch.handle(txs)

    # --- one record at a time, with retries -----------------------------------------------------------

    async def _handle_one(self, record: Any) -> None:
        item = self._prepare(record)
        if item is None:
            return  # an event of the topic that another consumer handles
        if item.envelope is None or item.handler is None:
            await self._dead_letter(record, message_id=item.message_id, reason=item.reason or "undecodable")
            return
        scope = EventScope(record, item.envelope)
        with scope.span(self.name):
            await self._process(item.handler, item.envelope, record, scope)

    async def _process(self, handler: Use, envelope: Envelope[Any], record: Any, scope: EventScope) -> None:
        attempt = failures = 0
        while True:
            attempt += 1
            try:
                outcome = await self._apply(handler, envelope, record, scope)
            except asyncio.CancelledError:
                raise
            except TRANSIENT_ERRORS as exc:
                await self._wait_out(exc, attempt)
                continue
            except Exception as exc:
                failures += 1
                if failures >= self._settings.handler_max_attempts:
                    log.error("handler_failed_dead_lettering", error=deadletter.clean_text(repr(exc), 500),
                              attempts=failures)
                    await self._dead_letter(
                        record, message_id=str(envelope.event_id),
                        reason=f"handler failed {failures} times: {type(exc).__name__}: {exc}",
                    )
                    return
                delay = self._backoff(failures)
                if failures == 1:
                    log.warning("handler_failed_retrying", error=deadletter.clean_text(repr(exc), 500),
                                attempt=failures, retry_in_s=delay)
                await asyncio.sleep(delay)
                continue
            if outcome == "conflict":
                await self._dead_letter(
                    record, message_id=f"{envelope.event_id}:{digest_of(envelope).hex()}",
                    reason=f"event_id {envelope.event_id} was already processed with a different body",
                )
            return

    async def _apply(self, handler: Use, envelope: Envelope[Any], record: Any, scope: EventScope) -> str:
        async with self._get_pool().acquire() as conn, conn.transaction():
            await self._begin(conn)
            claims = await claim_many(conn, self.name, [str(envelope.event_id)], [digest_of(envelope)])
            if claims.conflicts:
                return "conflict"
            if not claims.fresh:
                self._count(duplicates=1)
                log.info("duplicate_skipped")
                return "duplicate"
            pending = Pending()
            tx = self._tx(conn, envelope, record, pending, scope)
            await (handler.handle([tx]) if isinstance(handler, Batch) else handler(tx, envelope))
            await pending.flush(conn, self._outbox)
        self._count(processed=1)
        return "processed"

    async def _settle_undecodable(self, conn: Conn, record: Any, message_id: str, reason: str,
                                  *, minimal: bool = False) -> bool:
        """Answer the sender if the service can, else dead-letter; True when dead-lettered."""
        if (self._answer is not None and not minimal
                and await self._answer(Tx(conn, self._outbox, self._producer, metrics=self._metrics), record)):
            return False
        await deadletter.write(conn, self._outbox, record, consumer=self.name, message_id=message_id,
                               reason=reason, minimal=minimal)
        return True

    async def _dead_letter(self, record: Any, *, message_id: str, reason: str) -> None:
        """Write the dead letter (once: inbox) in its own transaction; the database is waited out."""
        attempt = 0
        minimal = False
        while True:
            attempt += 1
            try:
                async with self._get_pool().acquire() as conn, conn.transaction():
                    await self._begin(conn)
                    fresh = await claim(conn, self.name, message_id)
                    dead = fresh and await self._settle_undecodable(conn, record, message_id, reason, minimal=minimal)
                if not fresh:
                    self._count(duplicates=1)  # dead-lettered (or answered) before
                elif not dead:
                    self._count(processed=1)
                else:
                    self._count(dead=1)
                    log.warning("message_dead_lettered", reason=deadletter.clean_text(reason, 300))
                return
            except asyncio.CancelledError:
                raise
            except TRANSIENT_ERRORS as exc:
                await self._wait_out(exc, attempt)
            except Exception as exc:
                if minimal:
                    raise
                log.error("dead_letter_refused_writing_minimal", error=deadletter.clean_text(repr(exc), 300))
                minimal = True  # the message's own bytes cannot be stored: keep where and why

    # --- helpers -------------------------------------------------------------------------------------

    async def _begin(self, conn: Conn) -> None:
        """The first statement of each of this consumer's transactions (the ``serial`` lock, if any)."""
        if self._serial is not None:
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"serial:{self._serial}")

    def _tx(self, conn: Conn, envelope: Envelope[Any], record: Any, pending: Pending,
            scope: EventScope | None = None) -> Tx:
        """The use case's view of the transaction; its events join ``pending``, written before the commit."""
        return Tx(conn, self._outbox, self._producer, envelope, metrics=self._metrics, source=Source.of(record),
                  pending=pending, scope=scope or EventScope(record, envelope))


    def _backoff(self, attempt: int) -> float:
        return backoff(attempt, self._settings.retry_initial_backoff_s, self._settings.retry_max_backoff_s)

    async def _wait_out(self, exc: BaseException, attempt: int) -> None:
        delay = self._backoff(attempt)
        if worth_logging(attempt):
            log.warning("transient_failure_waiting", error=deadletter.clean_text(repr(exc), 300), attempt=attempt,
                        retry_in_s=round(delay, 3))
        await asyncio.sleep(delay)

    def _count(self, *, processed: int = 0, duplicates: int = 0, dead: int = 0) -> None:
        self.processed += processed
        self.duplicates += duplicates
        self.dead_lettered += dead
        if self._metrics is not None:
            self._metrics.processed(self.name, processed)
            self._metrics.duplicate(self.name, duplicates)
            self._metrics.dead_letter(self.name, dead)

    async def _rewind_unfinished(self, msg: Any, records: list[Any], done: set[int], exc: Exception) -> None:
        """A defect of ours escaped: seek back only the partitions with unfinished records, so that the
        offset commit that follows keeps them, and pause before they come again."""
        self._defects += 1
        earliest: dict[TopicPartition, int] = {}
        for index, record in enumerate(records):
            if index not in done:
                tp = TopicPartition(record.topic, record.partition)
                earliest[tp] = min(earliest.get(tp, record.offset), record.offset)
        consumer = getattr(msg, "consumer", None)
        for tp, offset in earliest.items():
            if consumer is not None:
                consumer.seek(tp, offset)
        if worth_logging(self._defects):
            log.error("consumer_defect_rewinding", error=deadletter.clean_text(repr(exc), 500),
                      partitions=sorted(f"{tp.topic}:{tp.partition}@{o}" for tp, o in earliest.items()),
                      occurrences=self._defects)
        await asyncio.sleep(self._backoff(min(self._defects, 10)))


def finished_offsets(records: list[Any], done: set[int]) -> dict[TopicPartition, int]:
    """Per partition of ``records``, the next offset to read once the records at the indexes ``done`` are
    finished: after the partition's last record, or its earliest unfinished one."""
    after: dict[TopicPartition, int] = {}
    unfinished: dict[TopicPartition, int] = {}
    for index, record in enumerate(records):
        tp = TopicPartition(record.topic, record.partition)
        if index in done:
            after[tp] = max(after.get(tp, 0), record.offset + 1)
        else:
            unfinished[tp] = min(unfinished.get(tp, record.offset), record.offset)
    return after | unfinished
