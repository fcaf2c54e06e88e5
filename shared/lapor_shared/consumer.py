"""Consuming with delivery guarantees: decode → inbox → effect → outbox, in one transaction.

Every subscriber of every service hands its messages to a ``Consumer``:
- a message that cannot be decoded goes to the dead-letter topic with the reason (never a crash);
- an event already in the inbox is skipped (redelivery is harmless);
- the handler's state change, its outgoing events (outbox) and the inbox row commit together;
- a failing handler is retried with exponential backoff, then dead-lettered, so a poison message
  never blocks its partition forever; while the database is unreachable the consumer waits and
  retries (nothing could make progress anyway) and the offset is not committed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from faststream.kafka import KafkaMessage

from lapor_shared.events import DecodeError, Envelope, Payload, decode
from lapor_shared.logging import get_logger, redact_text
from lapor_shared.metrics import Metrics
from lapor_shared.outbox import Outbox
from lapor_shared.settings import DeliverySettings
from lapor_shared.topics import DEAD_LETTER
from lapor_shared.tracing import continue_trace, current_trace_id, headers_to_carrier

log = get_logger(component="consumer")

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.TooManyConnectionsError,
    asyncpg.CannotConnectNowError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.AdminShutdownError,
    ConnectionError,
)
"""Failures of the database itself: waited out and retried without limit, since no message could
make progress meanwhile. Every other error is the message's own and ends in the dead-letter topic."""


@dataclass
class Tx:
    """What a use case gets: the open transaction and a way to emit events through the outbox."""

    conn: asyncpg.Connection
    outbox: Outbox
    producer: str
    cause: Envelope[Any] | None = None
    emitted: list[Envelope[Any]] = field(default_factory=list)
    metrics: Metrics | None = None

    async def emit(self, payload: Payload, **envelope_fields: Any) -> Envelope[Any]:
        """Write an event to the outbox in this transaction; it carries the current trace context."""
        return await self.add(Envelope.new(payload, producer=self.producer, caused_by=self.cause, **envelope_fields))

    async def add(self, envelope: Envelope[Any], topics: Sequence[str] = ()) -> Envelope[Any]:
        """Write a ready envelope to the outbox (to ``topics``, or its catalogued destinations) and count it."""
        await self.outbox.add(self.conn, envelope, topics)
        self.emitted.append(envelope)
        if self.metrics is not None:
            self.metrics.emitted(envelope.event_type)
        return envelope


Handler = Callable[[Tx, Envelope[Any]], Awaitable[None]]


class Consumer:
    def __init__(
        self,
        name: str,
        pool: Callable[[], asyncpg.Pool],
        *,
        producer: str,
        handlers: Mapping[type[Payload], Handler],
        settings: DeliverySettings,
        outbox: Outbox | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        """``pool`` is a callable so that consumers can be declared before the pool exists."""
        self.name = name
        self._get_pool = pool
        self._producer = producer
        self._handlers = dict(handlers)
        self.handled_types = tuple(self._handlers)
        self._settings = settings
        self._outbox = outbox or Outbox()
        self._metrics = metrics
        self.processed = 0
        self.duplicates = 0
        self.dead_lettered = 0

    async def handle(self, msg: KafkaMessage) -> None:
        """One message (or, from a batch subscriber, a tuple of records) through the guarantees."""
        if isinstance(msg.raw_message, tuple | list):  # aiokafka gives a tuple, the in-memory broker a list
            await self.handle_batch(list(msg.raw_message))
            return
        await self._handle_record(msg.raw_message)

    async def _handle_record(self, record: Any) -> None:
        source = _source(record)
        with structlog.contextvars.bound_contextvars(
            topic=record.topic, partition=record.partition, offset=record.offset
        ):
            await self._handle(record, source)

    async def handle_batch(self, records: list[Any]) -> None:
        """Records in order, all in ONE transaction (one commit, one offset commit for the batch).

        If anything in the batch fails, the transaction rolls back as a whole and the records are
        taken one by one, each with its own retries, dead letter or wait for the database.
        """
        if not records:
            return
        try:
            await self._apply_batch(records)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("batch_failed_one_by_one", error=repr(exc), size=len(records))
        for record in records:
            await self._handle_record(record)

    async def _apply_batch(self, records: list[Any]) -> None:
        work: list[tuple[Any, Envelope[Any] | None, str | None, Handler | None]] = []
        for record in records:
            try:
                envelope = decode(record.value)
            except DecodeError as exc:
                work.append((record, None, exc.reason, None))
                continue
            handler = self._handlers.get(type(envelope.payload))
            if handler is not None:
                work.append((record, envelope, None, handler))
        if not work:
            return
        ids = [str(env.event_id) if env is not None else _undecodable_id(rec) for rec, env, _, _ in work]
        async with self._get_pool().acquire() as conn, conn.transaction():
            fresh = await claim_many(conn, self.name, ids)
            processed = dead = duplicates = 0
            for (record, envelope, reason, handler), message_id in zip(work, ids, strict=True):
                if message_id not in fresh:
                    duplicates += 1
                    continue
                fresh.discard(message_id)  # the same event twice in one batch runs once
                if envelope is None or handler is None:
                    await self._outbox.add_raw(
                        conn, topic=DEAD_LETTER.name, key=_source(record).encode(),
                        headers=self._dead_letter_headers(record, reason or "undecodable"),
                        payload=redact_body(record.value or b""),
                    )
                    dead += 1
                    continue
                with (
                    continue_trace(headers_to_carrier(record.headers), f"process {envelope.event_type}",
                                   consumer=self.name, event_id=envelope.event_id),
                    structlog.contextvars.bound_contextvars(**_log_context(record, envelope),
                                                            trace_id=current_trace_id()),
                ):
                    await handler(Tx(conn, self._outbox, self._producer, envelope, metrics=self._metrics), envelope)
                processed += 1
        self.processed += processed
        self.duplicates += duplicates
        self.dead_lettered += dead
        if self._metrics is not None:
            self._metrics.processed(self.name, processed)
            self._metrics.duplicate(self.name, duplicates)
            self._metrics.dead_letter(self.name, dead)
        if duplicates:
            log.info("duplicate_skipped", count=duplicates)
        if dead:
            log.warning("message_dead_lettered", count=dead)

    async def _handle(self, record: Any, source: str) -> None:
        try:
            envelope = decode(record.value)
        except DecodeError as exc:
            await self._dead_letter(record, source, message_id=_undecodable_id(record), reason=exc.reason)
            return
        handler = self._handlers.get(type(envelope.payload))
        if handler is None:
            return  # another consumer's event on a shared topic
        with (
            continue_trace(headers_to_carrier(record.headers), f"process {envelope.event_type}",
                           consumer=self.name, event_id=envelope.event_id),
            structlog.contextvars.bound_contextvars(**_log_context(None, envelope), trace_id=current_trace_id()),
        ):
            await self._process(handler, envelope, record, source)

    async def _process(self, handler: Handler, envelope: Envelope[Any], record: Any, source: str) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._apply(handler, envelope)
                return
            except asyncio.CancelledError:
                raise
            except TRANSIENT_ERRORS as exc:
                delay = self._backoff(attempt)
                log.warning("transient_failure_waiting", error=repr(exc), attempt=attempt, retry_in_s=delay)
                await asyncio.sleep(delay)
            except Exception as exc:
                if attempt >= self._settings.handler_max_attempts:
                    log.error("handler_failed_dead_lettering", error=repr(exc), attempts=attempt)
                    await self._dead_letter(
                        record, source, message_id=str(envelope.event_id),
                        reason=f"handler failed {attempt} times: {type(exc).__name__}: {exc}",
                    )
                    return
                delay = self._backoff(attempt)
                log.warning("handler_failed_retrying", error=repr(exc), attempt=attempt, retry_in_s=delay)
                await asyncio.sleep(delay)

    async def _apply(self, handler: Handler, envelope: Envelope[Any]) -> None:
        async with self._get_pool().acquire() as conn, conn.transaction():
            if not await claim(conn, self.name, str(envelope.event_id)):
                self.duplicates += 1
                if self._metrics is not None:
                    self._metrics.duplicate(self.name)
                log.info("duplicate_skipped")
                return
            await handler(Tx(conn, self._outbox, self._producer, envelope, metrics=self._metrics), envelope)
        self.processed += 1
        if self._metrics is not None:
            self._metrics.processed(self.name)

    def _backoff(self, attempt: int) -> float:
        s = self._settings
        return min(s.retry_initial_backoff_s * 2 ** (attempt - 1), s.retry_max_backoff_s)

    async def _dead_letter(self, record: Any, source: str, *, message_id: str, reason: str) -> None:
        headers = self._dead_letter_headers(record, reason)
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._get_pool().acquire() as conn, conn.transaction():
                    if await claim(conn, self.name, message_id):
                        await self._outbox.add_raw(
                            conn, topic=DEAD_LETTER.name, key=source.encode(), headers=headers,
                            payload=redact_body(record.value or b""),
                        )
                self.dead_lettered += 1
                if self._metrics is not None:
                    self._metrics.dead_letter(self.name)
                log.warning("message_dead_lettered", reason=reason[:300])
                return
            except asyncio.CancelledError:
                raise
            except TRANSIENT_ERRORS as exc:
                delay = self._backoff(attempt)
                log.warning("transient_failure_waiting", error=repr(exc), attempt=attempt, retry_in_s=delay)
                await asyncio.sleep(delay)


    def _dead_letter_headers(self, record: Any, reason: str) -> dict[str, str]:
        headers = {k: (v or b"").decode(errors="replace") for k, v in (record.headers or ())}
        headers.update(
            dlq_reason=redact_text(reason)[:2000],
            dlq_consumer=self.name,
            dlq_source_topic=record.topic,
            dlq_source_partition=str(record.partition),
            dlq_source_offset=str(record.offset),
            dlq_failed_at=datetime.now(UTC).isoformat(),
        )
        return headers


def _source(record: Any) -> str:
    return f"{record.topic}:{record.partition}:{record.offset}"


def _undecodable_id(record: Any) -> str:
    """Inbox id of a message without a readable event id: where it sits, and what it holds (a
    redelivery of the same record gets the same id; the in-memory test broker reuses offsets)."""
    digest = hashlib.sha256(record.value or b"").hexdigest()[:16]
    return f"{_source(record)}:{digest}"


def _log_context(record: Any, envelope: Envelope[Any]) -> dict[str, Any]:
    context: dict[str, Any] = {
        "event_id": str(envelope.event_id),
        "event_type": envelope.event_type,
        "correlation_id": str(envelope.correlation_id),
        "complaint_id": str(envelope.complaint_id) if envelope.complaint_id else None,
        "tracking_number": envelope.tracking_number,
    }
    if record is not None:
        context.update(topic=record.topic, partition=record.partition, offset=record.offset)
    return context


async def claim_many(conn: asyncpg.Connection, consumer: str, message_ids: list[str]) -> set[str]:
    """Record many message ids at once; the ones not processed before."""
    rows = await conn.fetch(
        "INSERT INTO inbox (consumer, message_id) SELECT $1, unnest($2::text[])"
        " ON CONFLICT DO NOTHING RETURNING message_id",
        consumer, message_ids,
    )
    return {r["message_id"] for r in rows}


async def claim(conn: asyncpg.Connection, consumer: str, message_id: str) -> bool:
    """Record ``message_id`` as processed by ``consumer``; False when it already was."""
    inserted = await conn.fetchval(
        "INSERT INTO inbox (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
        consumer, message_id,
    )
    return bool(inserted)


def redact_body(body: bytes) -> bytes:
    """A dead letter keeps the original message for operators, minus any reporter identity.

    Submissions carry contact details in clear (only intake may read them); the dead-letter topic is
    read by operators, so the ``reporter`` object is dropped and contact-like strings are masked.
    """
    text = body.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return redact_text(text).encode()
    if isinstance(data, dict) and isinstance(data.get("payload"), dict) and "reporter" in data["payload"]:
        data["payload"]["reporter"] = "[disamarkan]"
    return redact_text(json.dumps(data, ensure_ascii=False)).encode()
