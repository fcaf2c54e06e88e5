"""The transactional outbox: the only way events leave a service.

``Outbox.add`` writes an event, once per destination topic, inside the caller's transaction, so the
event exists if and only if the state change that caused it committed. ``OutboxRelay`` publishes the
rows in id order (one active relay per schema, elected by an advisory lock) and marks them published.
A crash between publishing and marking publishes again: consumers dedupe by event id (the inbox).
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import asyncpg
from aiokafka import AIOKafkaProducer

from lapor_shared.events import Envelope, encode, headers_of
from lapor_shared.logging import get_logger
from lapor_shared.settings import DeliverySettings, KafkaSettings
from lapor_shared.topics import destinations, key_of
from lapor_shared.tracing import current_trace_headers

log = get_logger(component="outbox")

_INSERT = """
INSERT INTO outbox (topic, key, headers, payload, event_id)
SELECT t.topic, t.key, $3, $4, $5 FROM unnest($1::text[], $2::bytea[]) AS t (topic, key)
"""


class Outbox:
    """Writes events into the service's outbox table, inside the caller's transaction."""

    async def add(
        self,
        conn: asyncpg.Connection,
        envelope: Envelope[Any],
        topics: Sequence[str] = (),
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Store ``envelope`` for each destination with the current trace context (or ``extra_headers``)."""
        targets = list(topics) or destinations(envelope)
        keys = [key_of(envelope, topic) for topic in targets]
        if extra_headers is None:
            extra_headers = current_trace_headers()
        headers = {**headers_of(envelope), **extra_headers}
        await conn.execute(_INSERT, targets, keys, headers, encode(envelope), envelope.event_id)

    async def add_raw(
        self, conn: asyncpg.Connection, *, topic: str, key: bytes | None, headers: Mapping[str, str], payload: bytes
    ) -> None:
        """A message that is not one of our envelopes (a dead letter keeps the original bytes)."""
        await conn.execute(_INSERT, [topic], [key], dict(headers), payload, None)


class Sender(Protocol):
    """Where the relay sends rows: Kafka in production, FastStream's in-memory broker in handler tests."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def send_all(self, rows: Sequence[asyncpg.Record]) -> None: ...


class KafkaSender:
    """Plain aiokafka producer: sends a whole batch, then waits for every acknowledgement."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self._kafka = kafka
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._kafka.bootstrap_servers,
            client_id=f"{self._kafka.client_id_prefix}-outbox",
            acks="all",
            enable_idempotence=self._kafka.enable_idempotence,
            linger_ms=2,
            **self._kafka.client_options(),
        )
        try:
            await self._producer.start()
        except BaseException:
            await self._producer.stop()
            self._producer = None
            raise

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def send_all(self, rows: Sequence[asyncpg.Record]) -> None:
        assert self._producer is not None
        # aiokafka keeps one batch in flight per partition, so rows of one key stay in order
        pending = [
            await self._producer.send(r["topic"], r["payload"], key=r["key"], headers=_kafka_headers(r))
            for r in rows
        ]
        await asyncio.gather(*pending)


class BrokerSender:
    """Publishes through a FastStream broker (used with ``TestKafkaBroker`` in handler tests)."""

    def __init__(self, broker: Any) -> None:
        self._broker = broker

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    async def send_all(self, rows: Sequence[asyncpg.Record]) -> None:
        for r in rows:
            await self._broker.publish(
                bytes(r["payload"]), r["topic"], key=r["key"],
                headers={k: str(v) for k, v in (r["headers"] or {}).items()},
            )


def _kafka_headers(row: asyncpg.Record) -> list[tuple[str, bytes]]:
    return [(k, str(v).encode()) for k, v in (row["headers"] or {}).items()]


class OutboxRelay:
    """Publishes committed outbox rows, in order, and marks them published."""

    def __init__(
        self, pool: asyncpg.Pool, *, schema: str, sender: Sender, settings: DeliverySettings
    ) -> None:
        self._pool = pool
        self._schema = schema
        self._sender = sender
        self._settings = settings
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published_total = 0

    async def start(self) -> None:
        """Start in the background: a broker that is not there yet is waited for, not a failed start."""
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self._schema}")

    async def stop(self) -> None:
        """Publish what is committed so far (briefly), then stop."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=5)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
        await self._sender.stop()

    def backlog_hint(self) -> None:
        """Ask the relay to look now (tests and in-process publishers)."""
        self._wake.set()

    async def _run(self) -> None:
        backoff = self._settings.retry_initial_backoff_s
        while not self._stopping.is_set():
            try:
                await self._sender.start()
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox_sender_unavailable", schema=self._schema, error=repr(exc), retry_in_s=backoff)
                await self._pause(backoff)
                backoff = min(backoff * 2, self._settings.retry_max_backoff_s)
        while not self._stopping.is_set():
            try:
                await self._lead()
                backoff = self._settings.retry_initial_backoff_s
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database away: keep trying, never die
                log.warning("outbox_relay_failed", schema=self._schema, error=repr(exc), retry_in_s=backoff)
                await self._pause(backoff)
                backoff = min(backoff * 2, self._settings.retry_max_backoff_s)

    async def _lead(self) -> None:
        """Hold the schema's relay lock on a dedicated connection and publish while holding it."""
        conn: asyncpg.Connection = await self._pool.acquire()
        channel = f"lapor_outbox_{self._schema}"
        try:
            lock_key = zlib.crc32(f"outbox-relay:{self._schema}".encode())
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key):
                await self._sleep(1.0)  # another replica is the relay; stand by
                if self._stopping.is_set():
                    return
            await conn.add_listener(channel, self._on_notify)
            log.info("outbox_relay_leading", schema=self._schema)
            while True:
                published = await self.publish_batch(conn)
                if published >= self._settings.relay_batch_size:
                    continue
                if self._stopping.is_set():
                    return
                await self._sleep(self._settings.relay_poll_interval_s)
                self._prune_sometimes()
        finally:
            with contextlib.suppress(Exception):
                await conn.remove_listener(channel, self._on_notify)
            with contextlib.suppress(Exception):
                await conn.execute("SELECT pg_advisory_unlock_all()")
            await self._pool.release(conn)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _pause(self, seconds: float) -> None:
        """Back off after a failure: only stopping cuts it short (new rows do not)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    async def publish_batch(self, conn: asyncpg.Connection) -> int:
        rows = await conn.fetch(
            "SELECT id, topic, key, headers, payload FROM outbox"
            " WHERE published_at IS NULL ORDER BY id LIMIT $1",
            self._settings.relay_batch_size,
        )
        if not rows:
            return 0
        await self._sender.send_all(rows)
        await conn.execute(
            "UPDATE outbox SET published_at = clock_timestamp() WHERE id = ANY($1::bigint[])",
            [r["id"] for r in rows],
        )
        self.published_total += len(rows)
        return len(rows)

    _idle_rounds = 0
    _pruning: asyncio.Task[int] | None = None

    def _prune_sometimes(self) -> None:
        """Every few hundred idle rounds, forget old published rows (in the background)."""
        self._idle_rounds += 1
        if self._idle_rounds % 300 == 0 and (self._pruning is None or self._pruning.done()):
            self._pruning = asyncio.create_task(prune_published(self._pool, self._settings.relay_keep_published_s))


async def prune_published(pool: asyncpg.Pool, keep_s: float) -> int:
    """Forget published rows older than ``keep_s`` (kept meanwhile for re-publishing after a broker loss)."""
    result = await pool.execute(
        "DELETE FROM outbox WHERE published_at < clock_timestamp() - make_interval(secs => $1)", keep_s
    )
    return int(result.split()[-1])
