"""``python -m tools.broker_gaps``: does a consumer at the tail of a partition ever skip a record?

Kafka numbers a partition's records without gaps, and a consumer reads them in that order. A broker that made
an offset readable before the record at it was stored would let a consumer at the tail read past it: the
record is in the log, a later reader from the start finds it, but the consumer that was at the tail never
sees it. This tool checks a broker for that on one partition: ``--producers`` producers send
``--records`` records each (each its own produce request), all at once, while ``--tailers`` plain consumers
and as many guarded ones (their batches pass through ``lapor_shared.offset_gaps``, as every consumer of the
platform's does) follow the partition's tail; at the end a fresh consumer reads the partition from its
start, and every offset it finds that a tailer never saw is a skipped record. It runs against the embedded
Tansu unless ``--bootstrap`` names another broker; it exits non-zero when a guarded reader skipped a record.

    uv run python -m tools.broker_gaps [--producers 4] [--records 2000] [--tailers 2] [--bootstrap host:port]
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from lapor_shared import event_loop
from lapor_shared.infra import EmbeddedKafka
from lapor_shared.offset_gaps import DEFAULT_WAIT_S, OffsetGaps
from tools.platform_infra import quiet_logging, say


@dataclass
class Tail:
    """What one tailing consumer saw; ``guard``: its batches pass through the platform's gap check."""

    guard: OffsetGaps | None = None
    seen: set[int] = field(default_factory=set)
    fetches: int = 0

    @property
    def name(self) -> str:
        return "guarded" if self.guard is not None else "plain"


async def produce(bootstrap: str, topic: str, records: int, name: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, client_id=name, linger_ms=0, acks="all")
    await producer.start()
    try:
        for i in range(records):
            await producer.send_and_wait(topic, f"{name}:{i}".encode(), partition=0)
    finally:
        await producer.stop()


async def follow(bootstrap: str, tp: TopicPartition, tail: Tail, done: asyncio.Event, end: list[int]) -> None:
    """Read ``tp`` at its tail until the producers are done and the end offset is reached."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=10)
    await consumer.start()
    try:
        consumer.assign([tp])
        consumer.seek(tp, 0)
        while not (done.is_set() and await consumer.position(tp) >= end[0]):
            found = (await consumer.getmany(tp, timeout_ms=20)).get(tp, [])
            tail.fetches += 1
            if tail.guard is not None:
                found = await tail.guard.admit(consumer, found)
            for record in found:
                tail.seen.add(record.offset)
    finally:
        await consumer.stop()


async def read_all(bootstrap: str, tp: TopicPartition, end: int) -> set[int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    found: set[int] = set()
    try:
        consumer.assign([tp])
        consumer.seek(tp, 0)
        while await consumer.position(tp) < end:
            for record in (await consumer.getmany(tp, timeout_ms=500)).get(tp, []):
                found.add(record.offset)
    finally:
        await consumer.stop()
    return found


async def run(bootstrap: str, producers: int, records: int, tailers: int) -> tuple[set[int], list[Tail]]:
    topic = f"gaps.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    tp = TopicPartition(topic, 0)
    tails = [Tail(guard) for guard in (None, OffsetGaps(DEFAULT_WAIT_S)) for _ in range(tailers)]
    done, end = asyncio.Event(), [0]
    following = [asyncio.create_task(follow(bootstrap, tp, tail, done, end)) for tail in tails]
    say(f"{producers} produsen × {records} record ke satu partisi, {tailers} pembaca biasa dan {tailers} berpenjaga"
        " di ujungnya", f"{producers} producers × {records} records into one partition, {tailers} plain and"
        f" {tailers} guarded readers at its tail")
    await asyncio.gather(*(produce(bootstrap, topic, records, f"gaps-producer-{p}") for p in range(producers)))
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        end[0] = (await consumer.end_offsets([tp]))[tp]
    finally:
        await consumer.stop()
    done.set()
    await asyncio.gather(*following)
    return await read_all(bootstrap, tp, end[0]), tails


def skipped(stored: set[int], tail: Tail) -> list[int]:
    return sorted(stored - tail.seen)


def report(stored: set[int], tails: list[Tail]) -> int:
    """Print what each tailer skipped; the number the guarded ones skipped in all."""
    say(f"{len(stored)} record tersimpan", f"{len(stored)} records stored")
    guarded_skips = 0
    for n, tail in enumerate(tails):
        missed = skipped(stored, tail)
        held = f", held back at a gap {tail.guard.held_back} times" if tail.guard is not None else ""
        guarded_skips += len(missed) if tail.guard is not None else 0
        say(f"pembaca {n} ({tail.name}): {len(missed)} record terlewat dalam {tail.fetches} fetch",
            f"reader {n} ({tail.name}): {len(missed)} records skipped in {tail.fetches} fetches{held}"
            + (f", e.g. offsets {missed[:10]}" if missed else ""), mark=" ")
    return guarded_skips


def main() -> int:
    parser = argparse.ArgumentParser(description="Record terlewat di ujung partisi / records skipped at the tail")
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--records", type=int, default=2000, help="records per producer")
    parser.add_argument("--tailers", type=int, default=2)
    parser.add_argument("--bootstrap", help="a running broker (default: a fresh embedded Tansu)")
    args = parser.parse_args()
    quiet_logging()
    kafka = None if args.bootstrap else EmbeddedKafka().start()
    try:
        bootstrap = args.bootstrap or kafka.bootstrap_servers  # type: ignore[union-attr]
        stored, tails = event_loop.run(run(bootstrap, args.producers, args.records, args.tailers))
    finally:
        if kafka is not None:
            kafka.stop()
    return 1 if report(stored, tails) else 0


if __name__ == "__main__":
    raise SystemExit(main())
