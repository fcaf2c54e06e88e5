"""After a broker loss, the operator re-publishes from the outbox and consumers take each event once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from lapor_shared.db import create_pool
from lapor_shared.migrator import migrate
from lapor_shared.outbox import KafkaSender, Outbox, OutboxRelay
from lapor_shared.settings import DeliverySettings, KafkaSettings, PostgresSettings
from lapor_shared.testing.factories import routed_envelope
from lapor_shared.testing.kafka_io import consume, wait_for
from lapor_shared.topics import COMPLAINTS
from tools.republish_outbox import republish

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def test_republishing_after_a_broker_loss_sends_the_kept_events_again_in_order(database_url, infra):
    first_broker, first = await asyncio.to_thread(infra.new_kafka)
    pool = await create_pool(PostgresSettings(url=database_url), schema="routing")
    await migrate(pool, schema="routing", package="lapor_shared.testing")
    events = [routed_envelope() for _ in range(5)]
    async with pool.acquire() as conn, conn.transaction():
        for event in events:
            await Outbox().add(conn, event, topics=[COMPLAINTS.name])

    async def relay_to(bootstrap: str) -> OutboxRelay:
        relay = OutboxRelay(pool, schema="routing", sender=KafkaSender(KafkaSettings(bootstrap_servers=bootstrap)),
                            settings=DeliverySettings())
        await relay.start()
        return relay

    relay = await relay_to(first_broker)
    assert await wait_for(lambda: pool.fetchval("SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL"))
    await relay.stop()

    # the broker is lost: a new, empty one takes its place, and the operator re-publishes the last hour
    new_broker, second = await asyncio.to_thread(infra.new_kafka)
    counts = await republish(database_url, datetime.now(UTC) - timedelta(hours=1), ("routing", "intake"))
    assert counts == {"routing": 5}
    relay = await relay_to(new_broker)
    try:
        records = await consume(new_broker, topics=[COMPLAINTS.name], until=lambda rs: len(rs) >= 5)
    finally:
        await relay.stop()
        await pool.close()
        for broker in (first, second):
            if broker is not None:
                broker.stop()
    assert len(records) == 5
    by_key: dict[bytes, list[int]] = {}
    for record in records:
        by_key.setdefault(record.key, []).append(record.offset)
    assert all(offsets == sorted(offsets) for offsets in by_key.values())
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM routing.outbox WHERE published_at IS NULL") == 0
    finally:
        await conn.close()
