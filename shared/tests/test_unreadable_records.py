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

    async def main(bootstrap, topic):
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
        await producer.start()
        for value, headers in ((b"before", []), (b"poison", [(NotUtf8("k"), b"v")]), (b"after", [])):
            await (await producer.send(topic, value, headers=headers, partition=0))
        await producer.stop()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
""")


def write_poison(bootstrap: str, topic: str) -> None:
    subprocess.run([sys.executable, "-c", PRODUCER, bootstrap, topic], check=True, timeout=30,
                   env={**os.environ, "AIOKAFKA_NO_EXTENSIONS": "1"})


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
