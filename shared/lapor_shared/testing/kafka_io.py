"""Talking to the broker from tests the way an outside adapter or agency would: plain aiokafka."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from lapor_shared.events import Envelope, encode, headers_of
from lapor_shared.offset_gaps import DEFAULT_WAIT_S, OffsetGaps
from lapor_shared.topics import key_of


async def publish(
    bootstrap: str, topic: str, envelopes: Iterable[Envelope[Any]], *, partition: int | None = None
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send_and_wait(
                topic, encode(envelope), key=key_of(envelope, topic), partition=partition,
                headers=[(k, v.encode()) for k, v in headers_of(envelope).items()],
            )
    finally:
        await producer.stop()


async def publish_raw(bootstrap: str, topic: str, value: bytes, *, key: bytes | None = None,
                      partition: int | None = None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, partition=partition)
    finally:
        await producer.stop()


QUICK_SESSION = {"session_timeout_ms": 2000, "heartbeat_interval_ms": 500}
"""A test consumer's group session: the embedded broker holds a new member's join for half the session (1 s
here, 5 s with aiokafka's default). ``lapor_shared.testing.platform`` derives its quick groups from it."""


async def consume(
    bootstrap: str,
    *,
    topics: Iterable[str] = (),
    pattern: str | None = None,
    until: Callable[[list[ConsumerRecord]], bool],
    timeout: float = 30.0,
) -> list[ConsumerRecord]:
    """Read from the beginning in a fresh group (``QUICK_SESSION``) until ``until(records)`` holds or time
    runs out."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=f"test-{uuid.uuid4().hex}", auto_offset_reset="earliest",
        enable_auto_commit=False, metadata_max_age_ms=1000, **QUICK_SESSION,
    )
    if pattern:
        consumer.subscribe(pattern=pattern)
    else:
        consumer.subscribe(list(topics))
    await consumer.start()
    records: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout
    gaps = OffsetGaps(DEFAULT_WAIT_S)
    try:
        while time.monotonic() < deadline and not until(records):
            batch = await gaps.admit_batch(consumer, await consumer.getmany(timeout_ms=200))
            for messages in batch.values():
                records.extend(messages)
    finally:
        await consumer.stop()
    return records


async def wait_for(predicate: Callable[[], Any], *, timeout: float = 30.0, interval: float = 0.2) -> Any:
    """Poll an async or sync predicate until it returns something truthy; return it."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    return last


async def read_every_topic(bootstrap: str, *, timeout: float = 60.0) -> dict[str, list[bytes]]:
    """Every record of every topic on the broker, from the beginning to the end it has now: key, headers
    and value of each, as one blob per record (for tests that search the bytes). No consumer group: the
    partitions are assigned, so nothing waits for a group to form or a pattern to be matched."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                                max_partition_fetch_bytes=4 * 1024 * 1024)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for topic in await consumer.topics()
                      for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        pending = {tp for tp, offset in end.items() if offset > 0}
        await consumer.seek_to_beginning(*pending)
        found: dict[str, list[bytes]] = {tp.topic: [] for tp in partitions}
        deadline = time.monotonic() + timeout
        gaps = OffsetGaps(DEFAULT_WAIT_S)
        while pending and time.monotonic() < deadline:
            batch = await gaps.admit_batch(consumer, await consumer.getmany(*pending, timeout_ms=500))
            for tp, records in batch.items():
                for r in records:
                    headers = b" ".join(k.encode() + b"=" + (v or b"") for k, v in r.headers or ())
                    found[tp.topic].append(b" | ".join([r.key or b"", headers, r.value or b""]))
            pending = {tp for tp in pending if await consumer.position(tp) < end[tp]}
        if pending:
            raise AssertionError(f"could not read to the end of {sorted(str(tp) for tp in pending)[:5]}")
        return found
    finally:
        await consumer.stop()
