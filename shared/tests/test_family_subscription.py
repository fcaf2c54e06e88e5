"""A family of command topics read by one pattern subscription, on the real (embedded) broker, through the
same broker factory and subscriber options the services use: every member's topic is read, nothing
outside the family, and an agency onboarded after the subscriber started is read within the metadata
refresh (``KafkaSettings.metadata_max_age_ms``), while the broker's other clients keep the long refresh
(``KafkaSettings.named_metadata_max_age_ms``: a refresh lists all 640 topics)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from faststream.kafka.annotations import KafkaMessage

from lapor_shared.kafka import SUBSCRIBER_DEFAULTS, make_broker, provision_topics
from lapor_shared.settings import KafkaSettings
from lapor_shared.topics import AGENCY_COMMANDS, COMPLAINTS, REPORTER_COMMANDS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

REFRESH_MS = 2000


async def send(bootstrap: str, *messages: tuple[str, bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for topic, value in messages:
            await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()


async def test_a_pattern_subscriber_reads_every_agencys_topic_and_a_new_agencys_within_the_refresh(kafka_bootstrap):
    broker = make_broker(KafkaSettings(bootstrap_servers=kafka_bootstrap, metadata_max_age_ms=REFRESH_MS),
                         client_id="test-family")
    received: list[tuple[str, bytes]] = []

    @broker.subscriber(pattern=AGENCY_COMMANDS.pattern, group_id=f"test-{uuid.uuid4().hex}", **SUBSCRIBER_DEFAULTS)
    async def on_command(body: Any, msg: KafkaMessage) -> None:
        received.append((msg.raw_message.topic, msg.raw_message.value))

    await broker.start()
    try:
        await send(kafka_bootstrap, (AGENCY_COMMANDS.topic("pu.18.71"), b"pu"),
                   (REPORTER_COMMANDS.name, b"not an agency's"))
        await _until(lambda: received, 30)
        newcomer = AGENCY_COMMANDS.spec("dinkes.18.01")  # onboarded while the subscriber runs
        await provision_topics(kafka_bootstrap, [newcomer])
        started = time.monotonic()
        await send(kafka_bootstrap, (newcomer.name, b"dinkes"))
        await _until(lambda: len(received) >= 2, 30)
        waited = time.monotonic() - started
    finally:
        await broker.stop()

    assert received == [(AGENCY_COMMANDS.topic("pu.18.71"), b"pu"), (newcomer.name, b"dinkes")]
    print(f"a newly onboarded agency's topic was read after {waited:.1f} s (metadata refresh {REFRESH_MS} ms)")
    assert waited < REFRESH_MS / 1000 + 15  # the refresh, then a rebalance of the group


async def test_only_a_pattern_subscriber_refreshes_its_view_of_the_topics_often(kafka_bootstrap):
    broker = make_broker(KafkaSettings(bootstrap_servers=kafka_bootstrap, metadata_max_age_ms=REFRESH_MS,
                                       named_metadata_max_age_ms=600_000), client_id="test-refresh")
    family = broker.subscriber(pattern=AGENCY_COMMANDS.pattern, group_id=f"test-{uuid.uuid4().hex}",
                               **SUBSCRIBER_DEFAULTS)
    named = broker.subscriber(COMPLAINTS.name, group_id=f"test-{uuid.uuid4().hex}", **SUBSCRIBER_DEFAULTS)
    family(_ignore)
    named(_ignore)

    await broker.start()
    try:
        ages = {"family": family.consumer._client._metadata_max_age_ms,
                "named": named.consumer._client._metadata_max_age_ms,
                "producer": broker.config.producer._producer.producer.client._metadata_max_age_ms}
    finally:
        await broker.stop()

    assert ages == {"family": REFRESH_MS, "named": 600_000, "producer": 600_000}


async def _ignore(body: Any, msg: KafkaMessage) -> None:
    return None


async def _until(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "not received in time"
        await asyncio.sleep(0.1)
