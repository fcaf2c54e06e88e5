"""Baselines measured in the same run as the pipeline, so its figures can be read as ratios that
compare across machines: a raw PostgreSQL transaction rate and a raw Kafka pass-through."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from lapor_shared.settings import KafkaSettings

FETCH_MAX_WAIT_MS = KafkaSettings().fetch_max_wait_ms
"""The services' fetch wait (short on Tansu, which answers a waiting fetch only when the wait is over)."""


async def postgres_hop_rate(database_url: str, seconds: float = 3.0) -> float:
    """Transactions/s on one asyncpg connection, each shaped like a pipeline hop:
    BEGIN; inbox insert; business insert; outbox insert; COMMIT."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "CREATE TEMP TABLE b_inbox (id uuid PRIMARY KEY);"
            "CREATE TEMP TABLE b_state (id uuid PRIMARY KEY, body text);"
            "CREATE TEMP TABLE b_outbox (id bigserial PRIMARY KEY, body bytea)"
        )
        done = 0
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            event_id = uuid.uuid4()
            async with conn.transaction():
                await conn.execute("INSERT INTO b_inbox VALUES ($1) ON CONFLICT DO NOTHING", event_id)
                await conn.execute("INSERT INTO b_state VALUES ($1, 'x')", event_id)
                await conn.execute("INSERT INTO b_outbox (body) VALUES ($1)", b"x" * 600)
            done += 1
        return done / seconds
    finally:
        await conn.close()


async def kafka_pass_through(bootstrap: str, messages: int, hops: int = 4, size: int = 800) -> dict[str, float]:
    """Plain aiokafka: produce ``messages`` to topic 0, and ``hops`` relays each consume the previous
    topic and produce to the next (as intake, routing, followup and notify do along a complaint's life,
    without any work). Returns msgs/s and per-message latency percentiles through all hops."""
    run = uuid.uuid4().hex[:8]
    topics = [f"bench.{run}.{i}" for i in range(hops + 1)]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(t, 6, 1) for t in topics])
    await admin.close()

    async def relay(source: str, target: str) -> None:
        consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap, group_id=f"{source}-g",
                                    auto_offset_reset="earliest", enable_auto_commit=False,
                                    fetch_max_wait_ms=FETCH_MAX_WAIT_MS)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=2)
        await consumer.start()
        await producer.start()
        seen = 0
        try:
            while seen < messages:
                batch = await consumer.getmany(timeout_ms=200, max_records=500)
                futures = []
                for records in batch.values():
                    for r in records:
                        futures.append(await producer.send(target, r.value, key=r.key))
                        seen += 1
                await asyncio.gather(*futures)
                if batch:
                    await consumer.commit()
        finally:
            await consumer.stop()
            await producer.stop()

    relays = [asyncio.create_task(relay(topics[i], topics[i + 1])) for i in range(hops)]
    sink = AIOKafkaConsumer(topics[-1], bootstrap_servers=bootstrap, group_id=f"{run}-sink",
                            auto_offset_reset="earliest", fetch_max_wait_ms=FETCH_MAX_WAIT_MS)
    await sink.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=2)
    await producer.start()
    await asyncio.sleep(1.0)
    payload = b"x" * size
    started = time.perf_counter()
    sent_at: dict[bytes, float] = {}
    futures = []
    for i in range(messages):
        key = str(i).encode()
        sent_at[key] = time.perf_counter()
        futures.append(await producer.send(topics[0], payload, key=key))
    await asyncio.gather(*futures)
    latencies: list[float] = []
    while len(latencies) < messages:
        batch = await sink.getmany(timeout_ms=500)
        now = time.perf_counter()
        for records in batch.values():
            latencies.extend(now - sent_at[r.key] for r in records)
        if time.perf_counter() - started > 120:
            break
    elapsed = time.perf_counter() - started
    await producer.stop()
    await sink.stop()
    await asyncio.gather(*relays, return_exceptions=True)
    latencies.sort()
    return {
        "messages": len(latencies),
        "msgs_per_s": len(latencies) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else float("nan"),
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)] if latencies else float("nan"),
    }
