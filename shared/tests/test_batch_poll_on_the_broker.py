"""On the real (embedded) broker: a long poll does not hold a record back. A busy subscription's poll may wait
100 ms or more for nothing (``DeliverySettings.batch_timeout_ms``) because a record fetched meanwhile is handed
on at once, not when the poll's wait is over."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaConsumer

from lapor_shared import batch_poll
from lapor_shared.testing.factories import accepted_envelope
from lapor_shared.testing.kafka_io import QUICK_SESSION, publish

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

LONG_POLL_MS = 20_000


@dataclass
class Subscriber:
    batch_timeout_ms: int = LONG_POLL_MS
    max_records: int = 200


async def test_a_record_published_during_a_long_poll_is_handed_on_before_the_poll_would_end(kafka_bootstrap):
    topic = f"test.poll.{uuid.uuid4().hex[:8]}"
    await publish(kafka_bootstrap, topic, [accepted_envelope()], partition=0)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap, group_id=f"test-poll-{uuid.uuid4().hex[:8]}",
                                auto_offset_reset="earliest", enable_auto_commit=False, fetch_max_wait_ms=20,
                                **QUICK_SESSION)
    await consumer.start()
    try:
        first = await batch_poll.get_msg(Subscriber(), consumer)  # the group is joined, the first record read
        polling = asyncio.create_task(batch_poll.get_msg(Subscriber(), consumer))
        await asyncio.sleep(0.5)
        still_waiting = not polling.done()
        await publish(kafka_bootstrap, topic, [accepted_envelope()], partition=0)
        published = time.monotonic()
        second = await asyncio.wait_for(polling, LONG_POLL_MS / 1000 * 2)
        handed_after_s = time.monotonic() - published
    finally:
        await consumer.stop()

    assert [r.offset for r in first] == [0] and still_waiting
    assert [r.offset for r in second] == [1] and handed_after_s < LONG_POLL_MS / 1000 / 2
