"""Where the outbox relay sends rows, and what became of each row.

``send_all(rows)`` returns one outcome per row, in order: ``PUBLISHED``, ``HELD`` (not tried this round:
an earlier row of the same topic and key failed, so sending it would break that key's order) or a
``Refused`` with the reason. A refusal is *permanent* when retrying cannot help (the record is too
large, the topic does not exist or may not be written, the broker calls the record invalid), *away*
when the broker or the network is the problem (nothing about the row), and otherwise counted: the
relay parks a row that keeps failing while other rows go through.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    KafkaError,
    KafkaTimeoutError,
    ProducerClosed,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)

from lapor_shared.partitioner import KeyPartitioner
from lapor_shared.settings import KafkaSettings

Kind = Literal["permanent", "away", "counted"]


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str
    kind: Kind

    @classmethod
    def of(cls, exc: BaseException) -> Refused:
        return cls(f"{type(exc).__name__}: {exc}"[:500], classify(exc))


PUBLISHED = "published"
HELD = "held"
Outcome = str | Refused


def classify(exc: BaseException) -> Kind:
    if isinstance(exc, UnknownTopicOrPartitionError | TopicAuthorizationFailedError):
        return "permanent"  # the producer already waited for the topic's metadata
    if isinstance(exc, KafkaTimeoutError | ProducerClosed | OSError | TimeoutError):
        return "away"
    if isinstance(exc, KafkaError):
        return "away" if exc.retriable else "permanent"
    if isinstance(exc, TypeError | ValueError | UnicodeError):
        return "permanent"  # the row itself cannot be turned into a record
    return "counted"


class Sender(Protocol):
    """Kafka in production, FastStream's in-memory broker in handler tests, fakes of ours in relay tests."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def send_all(self, rows: Sequence[asyncpg.Record]) -> list[Outcome]: ...


def _stream(row: Any) -> tuple[str, bytes | None]:
    return row["topic"], None if row["key"] is None else bytes(row["key"])


class OrderedSender:
    """The ordering rule every sender keeps: after a row of a topic and key fails, the later rows of that
    key are not sent this round (``HELD``); after the broker itself fails, nothing more is.

    A subclass starts one row's send in ``start_send`` (returning what to await for its acknowledgement)
    and explains a failure in ``refusal``.
    """

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    async def start_send(self, row: Any) -> Awaitable[Any]:
        raise NotImplementedError

    async def refusal(self, exc: Exception) -> Refused:
        return Refused.of(exc)

    async def send_all(self, rows: Sequence[asyncpg.Record]) -> list[Outcome]:
        outcomes: list[Outcome] = [HELD] * len(rows)
        failed: set[tuple[str, bytes | None]] = set()
        pending: list[tuple[int, Awaitable[Any]]] = []
        for index, row in enumerate(rows):
            stream = _stream(row)
            if stream[1] is not None and stream in failed:
                continue  # held: a row before it on the same key failed
            try:
                pending.append((index, await self.start_send(row)))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                refused = await self.refusal(exc)
                outcomes[index] = refused
                failed.add(stream)
                if refused.kind == "away":
                    break  # the broker is the problem: the rest waits for the next round
        results = await asyncio.gather(*(ack for _, ack in pending), return_exceptions=True)
        for (index, _), result in zip(pending, results, strict=True):
            outcomes[index] = Refused.of(result) if isinstance(result, BaseException) else PUBLISHED
        return outcomes


class KafkaSender(OrderedSender):
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
            # no linger: ``send_all`` queues a whole batch before it waits for an acknowledgement, so the
            # rows of a round leave together anyway; a lone row at light load no longer waits 2 ms a hop
            linger_ms=0,
            partitioner=KeyPartitioner(),  # the default's partitions, hashed cheaper
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

    async def start_send(self, row: Any) -> Awaitable[Any]:
        assert self._producer is not None
        # aiokafka keeps one batch in flight per partition, so rows of one key stay in order
        delivered: Awaitable[Any] = await self._producer.send(row["topic"], row["payload"], key=row["key"],
                                                              headers=_kafka_headers(row))
        return delivered

    async def refusal(self, exc: Exception) -> Refused:
        """An unknown topic is permanent only if the broker answers: metadata is also missing in an outage."""
        refused = Refused.of(exc)
        if isinstance(exc, UnknownTopicOrPartitionError) and self._producer is not None:
            try:
                answered = await asyncio.wait_for(self._producer.client.force_metadata_update(), 5)
            except (TimeoutError, KafkaError):
                answered = False
            if not answered:
                return Refused(refused.reason, "away")
        return refused


class BrokerSender:
    """Publishes through a FastStream broker (used with ``TestKafkaBroker`` in handler tests)."""

    def __init__(self, broker: Any) -> None:
        self._broker = broker

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    async def send_all(self, rows: Sequence[asyncpg.Record]) -> list[Outcome]:
        for r in rows:
            await self._broker.publish(
                bytes(r["payload"]), r["topic"], key=r["key"],
                headers={k: str(v) for k, v in (r["headers"] or {}).items()},
            )
        return [PUBLISHED] * len(rows)


def _kafka_headers(row: Any) -> list[tuple[str, bytes]]:
    return [(k, str(v).encode()) for k, v in (row["headers"] or {}).items()]
