"""The third baseline of ``make bench`` (issue 17): the naive FastStream pipeline, the peer we must beat.

What a competent user gets by following the FastStream tutorial: four chained subscribers in one
process, each decoding a pydantic model, running one PostgreSQL transaction per message (an inbox
insert that makes the hop idempotent, then a state insert), publishing to the next topic, and
committing its offset after processing (``AckPolicy.ACK``). No batching, no outbox, no privacy, no
jurisdiction topics: the platform does more per complaint, and the ratio says how much that costs.
Its per-message access log is at DEBUG, as the platform's is (``lapor_shared.kafka.make_broker``), so
neither pays for a log line per message.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from pydantic import BaseModel

from tools.bench_baselines import FETCH_MAX_WAIT_MS


class HopEvent(BaseModel):
    """The message every hop reads and passes on (about ``size`` bytes of JSON)."""

    event_id: uuid.UUID
    seq: int
    body: str


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return 1000 * sorted_values[min(int(len(sorted_values) * q), len(sorted_values) - 1)]


async def naive_faststream_pipeline(
    bootstrap: str, database_url: str, messages: int, hops: int = 4, size: int = 800, timeout: float = 300.0,
) -> dict[str, float]:
    """Publish ``messages`` events to the first of ``hops`` chained FastStream subscribers and time each
    one until it leaves the last; msgs/s and end-to-end latency percentiles (same shape as the Kafka
    pass-through baseline)."""
    run = uuid.uuid4().hex[:8]
    topics = [f"naive.{run}.{i}" for i in range(hops + 1)]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(t, 6, 1) for t in topics])
    await admin.close()
    pool = await asyncpg.create_pool(database_url, min_size=hops, max_size=hops + 2)
    assert pool is not None
    await pool.execute(
        f"CREATE TABLE naive_inbox_{run} (hop int, event_id uuid, PRIMARY KEY (hop, event_id));"
        f"CREATE TABLE naive_state_{run} (hop int, event_id uuid, seq int, body text, PRIMARY KEY (hop, event_id))"
    )
    broker = KafkaBroker(bootstrap, linger_ms=2, acks="all", log_level=logging.DEBUG)
    for i in range(hops):
        _add_hop(broker, pool, run, i, topics[i], topics[i + 1])
    sink = AIOKafkaConsumer(topics[-1], bootstrap_servers=bootstrap, group_id=f"naive-{run}-sink",
                            auto_offset_reset="earliest", fetch_max_wait_ms=FETCH_MAX_WAIT_MS)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=2, acks="all")
    try:
        await broker.start()
        await sink.start()
        await producer.start()
        await _warm_up(producer, sink, topics[0])
        return await _drive(producer, sink, topics[0], messages, size, timeout)
    finally:
        await producer.stop()
        await sink.stop()
        await broker.stop()
        await pool.execute(f"DROP TABLE naive_inbox_{run}; DROP TABLE naive_state_{run}")
        await pool.close()


def _add_hop(broker: KafkaBroker, pool: Any, run: str, hop: int, source: str, target: str) -> None:
    publisher = broker.publisher(target)

    @broker.subscriber(source, group_id=f"naive-{run}-{hop}", auto_offset_reset="earliest",
                       ack_policy=AckPolicy.ACK, fetch_max_wait_ms=FETCH_MAX_WAIT_MS)
    async def handle(event: HopEvent) -> None:
        async with pool.acquire() as conn, conn.transaction():
            inserted = await conn.execute(
                f"INSERT INTO naive_inbox_{run} VALUES ($1, $2) ON CONFLICT DO NOTHING", hop, event.event_id)
            if inserted == "INSERT 0 0":
                return  # redelivered: already handled
            await conn.execute(f"INSERT INTO naive_state_{run} VALUES ($1, $2, $3, $4)",
                               hop, event.event_id, event.seq, event.body)
        await publisher.publish(event, key=str(event.seq).encode())


async def _warm_up(producer: AIOKafkaProducer, sink: AIOKafkaConsumer, first: str, timeout: float = 120.0) -> None:
    """One event through every hop before the clock starts: each subscriber's group has joined (a join
    takes seconds on Tansu, and the platform's phases start with its groups joined too)."""
    event = HopEvent(event_id=uuid.uuid4(), seq=-1, body="warm-up")
    await producer.send_and_wait(first, event.model_dump_json().encode(), key=b"-1")
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        batch = await sink.getmany(timeout_ms=500)
        if any(r.key == b"-1" for records in batch.values() for r in records):
            return
    raise TimeoutError("the naive pipeline did not pass its warm-up event on")


async def _drive(producer: AIOKafkaProducer, sink: AIOKafkaConsumer, first: str, messages: int, size: int,
                 timeout: float) -> dict[str, float]:
    body = "x" * max(size - 100, 0)
    started = time.perf_counter()
    sent_at: dict[bytes, float] = {}
    futures = []
    for i in range(messages):
        key = str(i).encode()
        sent_at[key] = time.perf_counter()
        value = HopEvent(event_id=uuid.uuid4(), seq=i, body=body).model_dump_json().encode()
        futures.append(await producer.send(first, value, key=key))
    await asyncio.gather(*futures)
    latencies: list[float] = []
    while len(latencies) < messages and time.perf_counter() - started < timeout:
        batch = await sink.getmany(timeout_ms=500)
        now = time.perf_counter()
        for records in batch.values():
            latencies.extend(now - sent_at.pop(r.key) for r in records if r.key in sent_at)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "messages": len(latencies),
        "msgs_per_s": len(latencies) / elapsed,
        "p50_ms": _percentile(latencies, 0.5),
        "p99_ms": _percentile(latencies, 0.99),
    }
