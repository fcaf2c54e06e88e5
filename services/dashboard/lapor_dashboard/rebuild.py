"""``python -m lapor_dashboard.rebuild``: throw the read model away and rebuild it from Kafka.

Empties ``complaints`` and ``complaint_events`` (and the consumer's inbox rows; users stay), then reads
``lapor.complaints`` from the beginning in a fresh consumer group up to the end offsets it found at the
start, through the same consumer and projector as the live service. The running dashboard may keep
running meanwhile: the projection depends on the set of events, not their order, so the live consumer
and the rebuild converge on the same rows. What the topic no longer holds (retention: 90 days) is not
rebuilt.

    uv run python -m lapor_dashboard.rebuild            # settings from the environment (LAPOR_…)
    uv run python -m lapor_dashboard.rebuild --timeout 600
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from lapor_dashboard import repository
from lapor_dashboard.service import CONSUMER_NAME, Projector
from lapor_dashboard.settings import DashboardSettings
from lapor_shared.consumer import Consumer
from lapor_shared.db import create_pool
from lapor_shared.logging import configure_logging, get_logger
from lapor_shared.migrator import migrate
from lapor_shared.offset_gaps import OffsetGaps
from lapor_shared.outbox import Outbox
from lapor_shared.topics import COMPLAINTS

log = get_logger(component="dashboard.rebuild")


@dataclass
class Report:
    group_id: str
    records: int
    processed: int
    complaints: int
    seconds: float


def projector_consumer(pool: asyncpg.Pool, settings: DashboardSettings) -> Consumer:
    """The same consumer the live service runs (same inbox name, same use case)."""
    return Consumer(CONSUMER_NAME, lambda: pool, producer=settings.service_name,
                    handlers=Projector().handlers(), settings=settings.delivery, outbox=Outbox())


async def reset(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await repository.reset_read_model(conn, CONSUMER_NAME)
    log.info("read_model_reset")


async def replay(consumer: Consumer, batches: Iterable[list[Any]]) -> int:
    """Feed batches of Kafka records (one partition each, in order) to ``consumer``; the record count."""
    count = 0
    for records in batches:
        await consumer.handle_batch(records)
        count += len(records)
    return count


async def read_topic(consumer: Consumer, settings: DashboardSettings, *, group_id: str, timeout_s: float) -> int:
    """Read ``lapor.complaints`` from the beginning up to today's end offsets into ``consumer``."""
    kafka = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka.bootstrap_servers, group_id=group_id, client_id=group_id,
        enable_auto_commit=False, auto_offset_reset="earliest", max_poll_records=settings.delivery.batch_max_records,
        **settings.kafka.client_options(),
    )
    await kafka.start()
    try:
        partitions = sorted(await _partitions(kafka, COMPLAINTS.name, timeout_s))
        tps = [TopicPartition(COMPLAINTS.name, p) for p in partitions]
        kafka.assign(tps)
        await kafka.seek_to_beginning(*tps)
        ends = await kafka.end_offsets(tps)
        log.info("rebuild_reading", group_id=group_id, partitions=len(tps), end_offsets=sum(ends.values()))
        deadline = time.monotonic() + timeout_s
        count = 0
        gaps = OffsetGaps(settings.delivery.offset_gap_wait_ms / 1000)  # the tail may be being written
        while not await _caught_up(kafka, ends):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the rebuild did not reach the end of {COMPLAINTS.name} in {timeout_s} s")
            batch = await gaps.admit_batch(kafka, await kafka.getmany(timeout_ms=500))
            for tp, records in batch.items():
                records = [r for r in records if r.offset < ends[tp]]
                count += await replay(consumer, [records] if records else [])
        try:
            await kafka.commit()  # the fresh group's offsets say how far the rebuild read
        except Exception as exc:  # informative only: the read model is complete either way
            log.warning("rebuild_commit_failed", error=repr(exc))
        return count
    finally:
        await kafka.stop()


async def _partitions(kafka: AIOKafkaConsumer, topic: str, timeout_s: float) -> set[int]:
    deadline = time.monotonic() + timeout_s
    while True:
        partitions = kafka.partitions_for_topic(topic)
        if partitions:
            return set(partitions)
        if time.monotonic() > deadline:
            raise TimeoutError(f"topic {topic} not found")
        await kafka.topics()  # refreshes the metadata
        await asyncio.sleep(0.2)


async def _caught_up(kafka: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await kafka.position(tp) < end:
            return False
    return True


async def rebuild(settings: DashboardSettings, *, timeout_s: float = 600.0) -> Report:
    """Empty the read model and rebuild it from the whole of ``lapor.complaints``."""
    started = time.monotonic()
    group_id = f"{settings.consumer_group}-rebuild-{uuid.uuid4().hex[:8]}"
    pool = await create_pool(settings.postgres, schema="dashboard")
    try:
        await migrate(pool, schema="dashboard", package="lapor_dashboard.migrations")
        await reset(pool)
        consumer = projector_consumer(pool, settings)
        records = await read_topic(consumer, settings, group_id=group_id, timeout_s=timeout_s)
        complaints = await pool.fetchval("SELECT count(*) FROM complaints")
    finally:
        await pool.close()
    report = Report(group_id, records, consumer.processed, complaints, round(time.monotonic() - started, 2))
    log.info("read_model_rebuilt", group_id=group_id, records=records, processed=report.processed,
             complaints=complaints, seconds=report.seconds)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Bangun ulang model baca dasbor dari Kafka / rebuild the "
                                                 "dashboard's read model from Kafka.")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to reach the end of the topic")
    args = parser.parse_args(argv)
    settings = DashboardSettings()
    configure_logging("dashboard-rebuild", fmt=settings.log_format, level=settings.log_level)
    report = asyncio.run(rebuild(settings, timeout_s=args.timeout))
    print(f"✓ Model baca dibangun ulang / read model rebuilt: {report.records} events read, "
          f"{report.processed} applied, {report.complaints} complaints, {report.seconds} s "
          f"(group {report.group_id})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
