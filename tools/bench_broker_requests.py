"""``python -m tools.bench_broker_requests``: what each kind of request costs the embedded broker, in its CPU.

At a moderate load the embedded Tansu is the platform's largest single cost per complaint (docs/performance.md,
"Issue 17, eighteenth steps"). This tool asks a Tansu alone for one kind of request at a time, one after the
other, and divides the broker's CPU by the requests: a produce of one record, of one record to each of six
partitions and of twenty records over six partitions; an offset commit of one and of six partitions; a record
produced and fetched at once by a consumer of six partitions; and a consumer of many one-partition topics (as
the console's of every agency's stream), fetching a record and waiting on nothing.

    uv run python -m tools.bench_broker_requests [--requests 300] [--topics 100 500]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import OffsetAndMetadata

from lapor_shared.infra import EmbeddedKafka
from tools.bench_fetch_cost import cpu_s
from tools.platform_infra import on_a_tansu_alone, say

RECORD = b"x" * 1000  # about the size of a lifecycle event
Row = tuple[str, float, float]  # what, broker CPU ms per request, wall ms per request


async def _create(bootstrap: str, topics: dict[str, int]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1) for name, partitions in topics.items()])
    finally:
        await admin.close()


async def _timed(what: str, broker: psutil.Process, count: int, one: Callable[[int], Awaitable[object]]) -> Row:
    await asyncio.sleep(0.3)  # what came before has settled
    cpu0, wall0 = cpu_s(broker), time.perf_counter()
    for i in range(count):
        await one(i)
    row = (what, 1000 * (cpu_s(broker) - cpu0) / count, 1000 * (time.perf_counter() - wall0) / count)
    say(f"  {what}: {row[1]:.2f} ms CPU", f"{what}: {row[1]:.2f} ms of the broker's CPU", mark=" ")
    return row


async def _consumer(bootstrap: str, *topics: str, wait_ms: int) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=f"cost-{uuid.uuid4().hex[:8]}",
                                enable_auto_commit=False, auto_offset_reset="latest", fetch_max_wait_ms=wait_ms)
    await consumer.start()
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=500)
    return consumer


async def _fetched(consumer: AIOKafkaConsumer) -> None:
    got: dict[TopicPartition, list[object]] = {}
    while not got:
        got = await consumer.getmany(timeout_ms=2000)


async def requests(kafka: EmbeddedKafka, count: int) -> list[Row]:
    """Produces, offset commits and a fetch that finds a record, on a topic of six partitions."""
    assert kafka.process is not None, "the embedded broker is started"
    broker, bootstrap = psutil.Process(kafka.process.pid), kafka.bootstrap_servers
    await _create(bootstrap, {"cost.six": 6, "cost.one": 1})
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, acks="all")
    await producer.start()
    consumer = await _consumer(bootstrap, "cost.six", wait_ms=500)
    six = [TopicPartition("cost.six", p) for p in range(6)]

    async def produce(topic: str, records: int) -> None:
        await asyncio.gather(*[await producer.send(topic, RECORD, partition=r % 6 if records > 1 else 0)
                               for r in range(records)])

    async def produce_and_fetch(i: int) -> None:
        await producer.send_and_wait("cost.six", RECORD, partition=i % 6)
        await _fetched(consumer)

    try:
        return [
            await _timed("produce, 1 record", broker, count, lambda _: produce("cost.one", 1)),
            await _timed("produce, 6 records to 6 partitions", broker, count, lambda _: produce("cost.six", 6)),
            await _timed("produce, 20 records over 6 partitions", broker, count, lambda _: produce("cost.six", 20)),
            await _timed("offset commit, 6 partitions", broker, count,
                         lambda i: consumer.commit({tp: OffsetAndMetadata(i + 1, "") for tp in six})),
            await _timed("offset commit, 1 partition", broker, count,
                         lambda i: consumer.commit({six[0]: OffsetAndMetadata(i + 1, "")})),
            await _timed("a record produced, then fetched (6 partitions)", broker, count, produce_and_fetch),
        ]
    finally:
        await consumer.stop()
        await producer.stop()


async def many_topics(kafka: EmbeddedKafka, topics: int, count: int) -> list[Row]:
    """A consumer of ``topics`` one-partition topics (five records each): a fetch that finds a record, and a
    second of fetches that find nothing (waiting 100 ms each), as the broker's CPU per fetch."""
    assert kafka.process is not None, "the embedded broker is started"
    broker, bootstrap = psutil.Process(kafka.process.pid), kafka.bootstrap_servers
    names = [f"cost.many.{topics}.{i}" for i in range(topics)]
    await _create(bootstrap, dict.fromkeys(names, 1))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, acks="all")
    await producer.start()
    for _ in range(5):
        await asyncio.gather(*[await producer.send(name, RECORD) for name in names])
    consumer = await _consumer(bootstrap, *names, wait_ms=100)

    async def produce_and_fetch(i: int) -> None:
        await producer.send_and_wait(names[i % topics], RECORD)
        await _fetched(consumer)

    try:
        found = await _timed(f"a record produced, then fetched ({topics} topics)", broker, count // 5,
                             produce_and_fetch)
        await asyncio.sleep(0.3)
        cpu0, wall0 = cpu_s(broker), time.perf_counter()
        await consumer.getmany(timeout_ms=3000)
        seconds = time.perf_counter() - wall0
        idle = (f"fetches finding nothing ({topics} topics), per second", 1000 * (cpu_s(broker) - cpu0) / seconds,
                1000.0)
        say(f"  {idle[0]}: {idle[1]:.0f} ms CPU", f"{idle[0]}: {idle[1]:.0f} ms of the broker's CPU", mark=" ")
        return [found, idle]
    finally:
        await consumer.stop()
        await producer.stop()


def table(rows: list[Row]) -> str:
    lines = [f"{'request':<58} {'broker CPU ms':>14} {'wall ms':>9}"]
    lines += [f"{what:<58} {cpu:>14.2f} {wall:>9.2f}" for what, cpu, wall in rows]
    return "\n".join(lines)


async def run(kafka: EmbeddedKafka, count: int, topic_counts: list[int]) -> list[Row]:
    rows = await requests(kafka, count)
    for topics in topic_counts:
        rows += await many_topics(kafka, topics, count)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="Biaya tiap permintaan / what each request costs the broker")
    parser.add_argument("--requests", type=int, default=300, help="requests of each kind")
    parser.add_argument("--topics", type=int, nargs="*", default=[100, 500],
                        help="one-partition topics of the many-topic consumer, one measurement per number")
    args = parser.parse_args()
    rows = on_a_tansu_alone(lambda kafka: run(kafka, args.requests, args.topics))
    print(f"\n{table(rows)}")


if __name__ == "__main__":
    main()
