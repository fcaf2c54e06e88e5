"""A row the broker refuses for good is parked with its reason; the rows of its key wait behind it and
every other row flows on; an operator retries or discards it. A broker outage parks nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from uuid import UUID, uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError, TopicAuthorizationFailedError

from lapor_shared.events import Envelope, decode
from lapor_shared.events.lifecycle import ComplaintReopened
from lapor_shared.operator import discard_parked, parked_rows, retry_parked
from lapor_shared.outbox import KafkaSender, Outbox, OutboxRelay, RelayRoundFailed
from lapor_shared.senders import OrderedSender
from lapor_shared.settings import DeliverySettings, KafkaSettings
from lapor_shared.testing import factories as f
from lapor_shared.testing.infra import Infrastructure
from lapor_shared.topics import COMPLAINTS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60, func_only=True)]


def event(complaint_id: UUID, by: str) -> Envelope[ComplaintReopened]:
    return f.envelope(ComplaintReopened(by=by), complaint_id=complaint_id)


class RefusingSender(OrderedSender):
    """Our sender base, refusing the rows ``refuse(row)`` names with the exception it returns."""

    def __init__(self, refuse: Callable[[asyncpg.Record], BaseException | None]) -> None:
        self.refuse = refuse
        self.published: list[str] = []

    async def start_send(self, row: asyncpg.Record) -> Awaitable[None]:
        error = self.refuse(row)
        if error is not None:
            raise error
        self.published.append(decode(bytes(row["payload"])).payload.by)
        return asyncio.sleep(0)


async def write(pool: asyncpg.Pool, *events: Envelope) -> None:
    for envelope in events:
        async with pool.acquire() as conn, conn.transaction():
            await Outbox().add(conn, envelope)


async def rounds(relay: OutboxRelay, pool: asyncpg.Pool, n: int = 1) -> int:
    """Run ``n`` relay rounds as the leader would; how many of them failed."""
    failed = 0
    async with pool.acquire() as conn:
        for _ in range(n):
            try:
                await relay.publish_batch(conn)
            except RelayRoundFailed:
                failed += 1
    return failed


def refusing(by: str, error: BaseException) -> Callable[[asyncpg.Record], BaseException | None]:
    return lambda row: error if f'"by":"{by}"' in bytes(row["payload"]).decode() else None


async def test_a_row_refused_for_good_is_parked_and_only_its_keys_later_rows_wait(pool, schema, delivery,
                                                                                    delivery_logs):
    parked_calls: list[None] = []
    same, other = uuid4(), uuid4()
    sender = RefusingSender(refusing("too-large", MessageSizeTooLargeError("1,500,000 bytes")))
    relay = OutboxRelay(pool, schema=schema, sender=sender, settings=delivery,
                        on_parked=lambda: parked_calls.append(None))
    await write(pool, event(same, "too-large"), event(same, "after-it"), event(other, "elsewhere"))

    await rounds(relay, pool, 3)

    assert sender.published == ["elsewhere"]
    [parked] = await parked_rows(pool, schema)
    assert parked["park_reason"].startswith("MessageSizeTooLargeError")
    assert parked["held_behind"] == 1
    assert len(parked_calls) == 1
    [line] = [e for e in delivery_logs if e["event"] == "outbox_row_parked"]
    assert line["log_level"] == "error" and line["held_behind"] == 1


async def test_retrying_a_parked_row_publishes_it_and_then_the_rows_behind_it_in_order(pool, schema, delivery):
    same = uuid4()
    refuse = {"on": True}
    sender = RefusingSender(lambda row: TopicAuthorizationFailedError("no ACL") if refuse["on"] else None)
    relay = OutboxRelay(pool, schema=schema, sender=sender, settings=delivery)
    await write(pool, event(same, "first"), event(same, "second"))
    await rounds(relay, pool)
    [parked] = await parked_rows(pool, schema)

    refuse["on"] = False  # the operator granted the ACL
    async with pool.acquire() as conn:
        assert await retry_parked(conn, schema, [parked["id"]]) == 1
    await rounds(relay, pool, 2)

    assert sender.published == ["first", "second"]
    assert await parked_rows(pool, schema) == []


async def test_discarding_a_parked_row_lets_the_rows_behind_it_flow(pool, schema, delivery):
    same = uuid4()
    sender = RefusingSender(refusing("poisoned", TopicAuthorizationFailedError("no ACL")))
    relay = OutboxRelay(pool, schema=schema, sender=sender, settings=delivery)
    await write(pool, event(same, "poisoned"), event(same, "behind"))
    await rounds(relay, pool)
    [parked] = await parked_rows(pool, schema)

    async with pool.acquire() as conn:
        assert await discard_parked(conn, schema, [parked["id"]]) == 1
    await rounds(relay, pool)

    assert sender.published == ["behind"]
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL AND discarded_at IS NULL") == 0


async def test_a_row_that_keeps_failing_while_others_go_through_is_parked_after_the_set_attempts(pool, schema,
                                                                                                   delivery):
    sender = RefusingSender(refusing("odd", RuntimeError("something about this row")))
    relay = OutboxRelay(pool, schema=schema, sender=sender, settings=delivery)
    await write(pool, event(uuid4(), "odd"))

    for n in range(delivery.relay_max_attempts):
        await write(pool, event(uuid4(), f"fine-{n}"))
        await rounds(relay, pool)

    [parked] = await parked_rows(pool, schema)
    assert parked["attempts"] == delivery.relay_max_attempts
    assert "something about this row" in parked["park_reason"]
    assert len(sender.published) == delivery.relay_max_attempts


async def test_a_broker_outage_parks_nothing_and_everything_goes_once_it_is_back(pool, schema, delivery):
    away = {"on": True}
    sender = RefusingSender(lambda row: KafkaConnectionError("broker away") if away["on"] else None)
    relay = OutboxRelay(pool, schema=schema, sender=sender, settings=delivery)
    await write(pool, *(event(uuid4(), f"e{n}") for n in range(3)))

    assert await rounds(relay, pool, 3 * delivery.relay_max_attempts) == 3 * delivery.relay_max_attempts
    away["on"] = False
    await rounds(relay, pool)

    assert await parked_rows(pool, schema) == []
    assert sorted(sender.published) == ["e0", "e1", "e2"]


# --- against the real broker ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kafka(infra: Infrastructure, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    bootstrap, broker = infra.new_kafka(tmp_path_factory.mktemp("kafka"))
    try:
        yield bootstrap
    finally:
        if broker is not None:
            broker.stop()


async def test_a_record_the_real_broker_cannot_take_is_parked_and_the_next_one_is_published(pool, schema, kafka):
    big, small = event(uuid4(), "x" * (2 * 1024 * 1024)), event(uuid4(), "kecil")
    await write(pool, big, small)
    sender = KafkaSender(KafkaSettings(bootstrap_servers=kafka))
    relay = OutboxRelay(pool, schema=schema, sender=sender, settings=DeliverySettings())
    await sender.start()
    try:
        await rounds(relay, pool)
    finally:
        await sender.stop()

    [parked] = await parked_rows(pool, schema)
    assert parked["event_id"] == big.event_id and "MessageSizeTooLarge" in parked["park_reason"]
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(COMPLAINTS.name, p) for p in range(COMPLAINTS.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        found = [r for batch in (await consumer.getmany(timeout_ms=2000)).values() for r in batch]
    finally:
        await consumer.stop()
    assert [r.headers for r in found if dict(r.headers).get("event_id") == str(small.event_id).encode()]
