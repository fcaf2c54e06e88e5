"""``python -m tools.bench_broker_growth``: what a fetch costs the embedded broker as a partition's history grows.

The embedded Tansu (0.6.0, memory storage) keeps each produced batch as an object and, for every fetch that
finds something new, lists every batch object the partition ever held before it picks the ones after the
fetch's offset; nothing is ever trimmed (its ``DeleteRecords`` is not implemented). So a fetch at the tail of a
long partition costs more than the same fetch at the tail of a short one. This tool measures that on a Tansu
alone: one partition grows by ``--step`` batches at a time (one record each, no consumer fetching), and after
each step the broker's CPU is measured for ``--reads`` produces alone, then for as many produces each read at
the tail by a consumer (one fetch each). The soak of ``make soak`` runs into this (docs/performance.md,
"Issue 17, eighth steps").

    uv run python -m tools.bench_broker_growth [--step 5000] [--steps 4] [--reads 100]
"""

from __future__ import annotations

import argparse
import asyncio

import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from lapor_shared.infra import EmbeddedKafka
from tools.bench_fetch_cost import cpu_s
from tools.platform_infra import on_a_tansu_alone, say

TOPIC = "growth.one"
RECORD = b"x" * 1400  # about the size of a lifecycle event


async def grow(producer: AIOKafkaProducer, batches: int, window: int = 64) -> None:
    """``batches`` produce requests of one record each (a few in flight: each becomes its own batch object)."""
    pending: list[asyncio.Future[object]] = []
    for _ in range(batches):
        pending.append(await producer.send(TOPIC, RECORD, partition=0))
        if len(pending) >= window:
            await asyncio.gather(*pending)
            pending.clear()
    await asyncio.gather(*pending)


async def tail_reads(producer: AIOKafkaProducer, consumer: AIOKafkaConsumer, broker: psutil.Process,
                     reads: int) -> tuple[float, float]:
    """Broker CPU ms per produce alone, and per fresh record produced and read at the tail (one fetch each)."""
    tp = TopicPartition(TOPIC, 0)
    consumer.pause(tp)  # no fetch while only producing
    cpu0 = cpu_s(broker)
    for _ in range(reads):
        await (await producer.send(TOPIC, RECORD, partition=0))
    produce_ms = 1000 * (cpu_s(broker) - cpu0) / reads
    end = (await consumer.end_offsets([tp]))[tp]
    consumer.seek(tp, end)
    consumer.resume(tp)
    cpu0 = cpu_s(broker)
    for _ in range(reads):
        await (await producer.send(TOPIC, RECORD, partition=0))
        await consumer.getone()
    read_ms = 1000 * (cpu_s(broker) - cpu0) / reads
    consumer.pause(tp)
    return produce_ms, read_ms


async def run(kafka: EmbeddedKafka, step: int, steps: int, reads: int) -> list[tuple[int, float, float]]:
    assert kafka.process is not None, "the embedded broker is started"
    broker = psutil.Process(kafka.process.pid)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(TOPIC, 1, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, linger_ms=0, acks="all",
                                max_batch_size=2048)
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, enable_auto_commit=False,
                                fetch_max_wait_ms=20)
    await producer.start()
    await consumer.start()
    consumer.assign([TopicPartition(TOPIC, 0)])
    consumer.pause(TopicPartition(TOPIC, 0))
    rows: list[tuple[int, float, float]] = []
    try:
        for size in range(0, step * steps + 1, step):
            if size:
                say(f"partisi tumbuh ke {size} batch", f"growing the partition to {size} batches")
                await grow(producer, step)
            produce_ms, read_ms = await tail_reads(producer, consumer, broker, reads)
            rows.append((size, produce_ms, read_ms))
            say(f"  {size} batch: Tansu {read_ms:.2f} ms CPU per kirim dan baca",
                f"{size} batches: Tansu {read_ms:.2f} ms CPU per produce and read", mark=" ")
    finally:
        await consumer.stop()
        await producer.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="Biaya fetch saat partisi tumbuh / fetch cost as a partition grows")
    parser.add_argument("--step", type=int, default=5000, help="batches added to the partition per step")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--reads", type=int, default=100, help="fresh records read at the tail per size")
    args = parser.parse_args()
    rows = on_a_tansu_alone(lambda kafka: run(kafka, args.step, args.steps, args.reads))
    print(f"\n{'batches in the partition':>26} {'Tansu CPU ms: a produce':>24} {'a produce and its read':>24}")
    for size, produce_ms, read_ms in rows:
        print(f"{size:>26} {produce_ms:>24.2f} {read_ms:>24.2f}")


if __name__ == "__main__":
    main()
