"""A record aiokafka cannot parse (a header key that is not UTF-8) is skipped with a reason instead of
stopping its partition for ever."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaConsumer

from lapor_shared import unreadable_records
from lapor_shared.offset_gaps import OffsetGaps
from lapor_shared.testing.infra import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

# aiokafka's pure-Python record builder encodes header keys with str.encode: a str whose encode() gives
# bytes that are not UTF-8 writes the record a raw-protocol client could write
PRODUCER = textwrap.dedent("""
    import asyncio, sys
    from aiokafka import AIOKafkaProducer

    class NotUtf8(str):
        def encode(self, *args, **kwargs):
            return b"\\xff\\xfe"

    async def main(bootstrap, topic, batched):
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=200 if batched else 0)
        await producer.start()
        if batched:  # the poison first in a batch of three, then a batch of its own
            sent = [await producer.send(topic, value, headers=headers, partition=0) for value, headers in
                    ((b"poison", [(NotUtf8("k"), b"v")]), (b"same batch", []), (b"same batch", []))]
            await asyncio.gather(*sent)
            await (await producer.send(topic, b"after", partition=0))
        else:
            for value, headers in ((b"before", []), (b"poison", [(NotUtf8("k"), b"v")]), (b"after", [])):
                await (await producer.send(topic, value, headers=headers, partition=0))
        await producer.stop()

    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3] == "batched"))
""")


def write_poison(bootstrap: str, topic: str, *, batched: bool = False) -> None:
    subprocess.run([sys.executable, "-c", PRODUCER, bootstrap, topic, "batched" if batched else "alone"],
                   check=True, timeout=30, env={**os.environ, "AIOKAFKA_NO_EXTENSIONS": "1"})


@pytest.fixture
def kafka(infra: Infrastructure, tmp_path) -> Iterator[str]:
    bootstrap, broker = infra.new_kafka(tmp_path)
    try:
        yield bootstrap
    finally:
        if broker is not None:
            broker.stop()


async def test_a_record_whose_header_key_is_not_utf8_is_skipped_and_the_partition_moves_on(kafka):
    await asyncio.to_thread(write_poison, kafka, "lapor.commands.registry")
    unreadable_records.install()
    consumer = AIOKafkaConsumer("lapor.commands.registry", bootstrap_servers=kafka, group_id="skip-test",
                                auto_offset_reset="earliest")
    await consumer.start()
    seen: list = []
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(seen) < 3:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                seen.extend(records)
            await asyncio.sleep(0)
    finally:
        await consumer.stop()

    assert [r.value for r in seen] == [b"before", None, b"after"]
    reason = unreadable_records.reason_of(seen[1])
    assert reason is not None and "unreadable record" in reason and "offsets 1-1" in reason
    assert unreadable_records.reason_of(seen[0]) is None


async def test_the_rest_of_a_poisoned_batch_is_skipped_with_it_and_the_gap_check_reads_on_without_waiting(kafka):
    await asyncio.to_thread(write_poison, kafka, "lapor.commands.registry", batched=True)
    unreadable_records.install()
    consumer = AIOKafkaConsumer("lapor.commands.registry", bootstrap_servers=kafka, group_id="skip-batch-test",
                                auto_offset_reset="earliest")
    await consumer.start()
    gaps, seen = OffsetGaps(30.0), []
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(seen) < 2:
            seen += await gaps.admit(consumer, [r for rs in (await consumer.getmany(timeout_ms=500)).values()
                                                for r in rs])
    finally:
        await consumer.stop()

    assert [(r.offset, r.value) for r in seen] == [(0, None), (3, b"after")]
    assert unreadable_records.skipped_to(seen[0]) == 2 and unreadable_records.skipped_to(seen[1]) is None
    assert gaps.held_back == 0
