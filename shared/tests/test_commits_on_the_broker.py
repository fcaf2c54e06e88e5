"""On the real (embedded) broker: paced commits reach the group coordinator, and the group's next member
reads on from the first record that was not finished."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from lapor_shared.commits import PacedCommits
from lapor_shared.testing.factories import accepted_envelope
from lapor_shared.testing.kafka_io import QUICK_SESSION, publish

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def _read(bootstrap: str, topic: str, group: str, count: int) -> tuple[AIOKafkaConsumer, list[int]]:
    reader = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                              enable_auto_commit=False, **QUICK_SESSION)
    await reader.start()
    offsets: list[int] = []
    while len(offsets) < count:
        for records in (await reader.getmany(timeout_ms=1000)).values():
            offsets += [r.offset for r in records]
    return reader, offsets


async def test_a_paced_commit_keeps_what_is_finished_and_the_next_member_reads_on_from_there(kafka_bootstrap):
    topic, group = f"test.commits.{uuid.uuid4().hex[:8]}", f"test-commits-{uuid.uuid4().hex[:8]}"
    await publish(kafka_bootstrap, topic, [accepted_envelope() for _ in range(5)], partition=0)
    tp = TopicPartition(topic, 0)

    first, read = await _read(kafka_bootstrap, topic, group, 5)
    try:
        commits = PacedCommits(0.05)
        await commits.finished(first, {tp: 2})  # two records finished; three read, not yet finished
        await commits.finished(first, {tp: 3})
        await asyncio.sleep(0.3)
        committed = await first.committed(tp)
    finally:
        await first.stop()  # as a crash would: the last two records were read but never finished
    second, read_again = await _read(kafka_bootstrap, topic, group, 2)
    await second.stop()

    assert read == [0, 1, 2, 3, 4] and commits.commits == 1
    assert committed == 3 and read_again == [3, 4]
