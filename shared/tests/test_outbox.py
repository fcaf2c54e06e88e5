"""The transactional outbox: rows exist only if their transaction committed, and the relay publishes
them to the real broker in order, exactly once per leader, and survives a broker that is away."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator, Sequence
from uuid import UUID, uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaConnectionError, ProducerClosed

from lapor_shared.consumer import Consumer, Tx
from lapor_shared.events import Envelope, encode, headers_of
from lapor_shared.events.lifecycle import ComplaintReopened
from lapor_shared.infra import free_port
from lapor_shared.outbox import KafkaSender, Outbox, OutboxRelay, bodies, prune_published
from lapor_shared.senders import Refused
from lapor_shared.settings import DeliverySettings, KafkaSettings
from lapor_shared.testing import factories as f
from lapor_shared.testing.infra import Infrastructure
from lapor_shared.testing.kafka_io import wait_for
from lapor_shared.testing.records import record as incoming
from lapor_shared.topics import COMPLAINTS, SUBMISSION_RESULTS, destinations, jurisdiction_topic, key_of

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60, func_only=True)]


@pytest.fixture(scope="module")
def kafka(infra: Infrastructure, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real broker for this module (starting one per test costs seconds); each test reads back
    only the records of its own events."""
    bootstrap, broker = infra.new_kafka(tmp_path_factory.mktemp("kafka"))
    try:
        yield bootstrap
    finally:
        if broker is not None:
            broker.stop()


def lifecycle_event(complaint_id: UUID, step: int) -> Envelope[ComplaintReopened]:
    """An event that goes to ``lapor.complaints`` alone, keyed by its complaint."""
    return f.envelope(ComplaintReopened(by=f"step-{step}"), complaint_id=complaint_id)


async def commit(pool: asyncpg.Pool, envelopes: Sequence[Envelope]) -> None:
    """Each envelope in its own transaction, as separate use cases would write them."""
    outbox = Outbox()
    for envelope in envelopes:
        async with pool.acquire() as conn, conn.transaction():
            await outbox.add(conn, envelope)


async def unpublished(pool: asyncpg.Pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")


async def all_published(pool: asyncpg.Pool) -> bool:
    return await unpublished(pool) == 0


def kafka_relay(schema: str, pool: asyncpg.Pool, bootstrap: str, settings: DeliverySettings) -> OutboxRelay:
    return OutboxRelay(
        pool, schema=schema, sender=KafkaSender(KafkaSettings(bootstrap_servers=bootstrap)), settings=settings
    )


async def read_topic(bootstrap: str, envelopes: Sequence[Envelope]) -> list[ConsumerRecord]:
    """Every record of ``envelopes`` in ``lapor.complaints``, reading each partition from its start
    until the log runs dry.

    Call it once the producers have stopped: then a quiet poll after one record per envelope means the
    whole log was read, duplicates included (Tansu's end offsets cannot be trusted for counting).
    """
    mine = {str(e.event_id) for e in envelopes}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        partitions = [TopicPartition(COMPLAINTS.name, p) for p in range(COMPLAINTS.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline = asyncio.get_running_loop().time() + 15
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            if not batch and len(records) >= len(mine):
                break
            for messages in batch.values():
                records.extend(m for m in messages if event_id_of(m) in mine)
    finally:
        await consumer.stop()
    return records


def event_id_of(record: ConsumerRecord) -> str:
    return dict(record.headers)["event_id"].decode()


def event_ids(envelopes: Sequence[Envelope]) -> list[str]:
    return sorted(str(e.event_id) for e in envelopes)


# --- writing ----------------------------------------------------------------------------------------


async def test_add_writes_one_row_per_destination_with_that_topics_key_and_the_headers(pool):
    routed = f.routed_envelope()

    async with pool.acquire() as conn, conn.transaction():
        await Outbox().add(conn, routed)

    rows = await pool.fetch("SELECT topic, key, headers, payload, event_id, published_at FROM outbox ORDER BY id")
    topics = destinations(routed)
    assert COMPLAINTS.name in topics and jurisdiction_topic("18.71") in topics  # the stream and the tree at least
    assert [r["topic"] for r in rows] == topics
    assert [r["key"] for r in rows] == [key_of(routed, topic) for topic in topics]
    for row in rows:
        assert row["headers"] == headers_of(routed)
        assert bytes(row["payload"]) == encode(routed)
        assert row["event_id"] == routed.event_id
        assert row["published_at"] is None


async def test_extra_headers_such_as_the_trace_context_travel_with_every_destinations_row(pool):
    routed = f.routed_envelope()
    trace = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}

    async with pool.acquire() as conn, conn.transaction():
        await Outbox().add(conn, routed, extra_headers=trace)

    rows = await pool.fetch("SELECT headers FROM outbox")
    assert len(rows) == len(destinations(routed)) > 1
    assert all(r["headers"] == {**headers_of(routed), **trace} for r in rows)


async def test_add_with_explicit_topics_writes_only_to_those_each_with_its_topics_key(pool):
    accepted = f.accepted_envelope()

    async with pool.acquire() as conn, conn.transaction():
        await Outbox().add(conn, accepted, topics=[COMPLAINTS.name, SUBMISSION_RESULTS.name])

    rows = await pool.fetch("SELECT topic, key FROM outbox ORDER BY id")
    assert [(r["topic"], r["key"]) for r in rows] == [
        (COMPLAINTS.name, str(accepted.complaint_id).encode()),
        (SUBMISSION_RESULTS.name, key_of(accepted, SUBMISSION_RESULTS.name)),
    ]
    assert rows[0]["key"] != rows[1]["key"]  # complaint id on one, channel message on the other


async def test_rows_written_in_a_transaction_that_rolls_back_never_exist(pool):
    class UseCaseFailed(Exception):
        pass

    with pytest.raises(UseCaseFailed):
        async with pool.acquire() as conn, conn.transaction():
            await Outbox().add(conn, f.routed_envelope())
            assert await conn.fetchval("SELECT count(*) FROM outbox") > 1  # visible inside, before the end
            raise UseCaseFailed

    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0


# --- relaying to the real broker ---------------------------------------------------------------------


async def test_the_relay_publishes_committed_rows_in_id_order_keeping_each_complaints_order(
    pool, schema, kafka, delivery
):
    complaints = [uuid4() for _ in range(4)]
    events = [lifecycle_event(c, step) for step in range(6) for c in complaints]  # interleaved
    await commit(pool, events)
    outbox_id = {str(r["event_id"]): r["id"] for r in await pool.fetch("SELECT id, event_id FROM outbox")}
    relay = kafka_relay(schema, pool, kafka, delivery.model_copy(update={"relay_batch_size": 5}))

    await relay.start()
    try:
        assert await wait_for(lambda: all_published(pool), timeout=15)
    finally:
        await relay.stop()

    records = await read_topic(kafka, events)
    assert relay.published_total == len(events)
    assert sorted(event_id_of(r) for r in records) == event_ids(events)  # each exactly once
    by_partition: dict[int, list[ConsumerRecord]] = defaultdict(list)
    for record in records:
        by_partition[record.partition].append(record)
    for partition_records in by_partition.values():
        ids = [outbox_id[event_id_of(r)] for r in sorted(partition_records, key=lambda r: r.offset)]
        assert ids == sorted(ids), "a partition's records are not in outbox id order"
    for complaint in complaints:
        mine = [r for r in records if r.key == str(complaint).encode()]
        assert len({r.partition for r in mine}) == 1
        steps = [r.value for r in sorted(mine, key=lambda r: r.offset)]
        assert steps == [encode(e) for e in events if e.complaint_id == complaint]


async def test_published_records_carry_the_rows_key_and_headers(pool, schema, kafka, delivery):
    event = lifecycle_event(uuid4(), 1)
    await commit(pool, [event])
    relay = kafka_relay(schema, pool, kafka, delivery)

    await relay.start()
    try:
        assert await wait_for(lambda: all_published(pool), timeout=15)
    finally:
        await relay.stop()

    [record] = await read_topic(kafka, [event])

    assert record.key == str(event.complaint_id).encode()
    assert {k: v.decode() for k, v in record.headers} == headers_of(event)
    assert record.value == encode(event)


async def test_the_relay_wakes_on_the_commit_notification_without_a_hint(pool, schema, kafka, delivery):
    # polling alone would take a minute: only the NOTIFY of the commit can wake the relay in time
    relay = kafka_relay(schema, pool, kafka, delivery.model_copy(update={"relay_poll_interval_s": 60.0}))
    await commit(pool, [lifecycle_event(uuid4(), 0)])
    await relay.start()
    try:
        assert await wait_for(lambda: all_published(pool), timeout=10)  # the first round, at start
        later = [lifecycle_event(uuid4(), 1), lifecycle_event(uuid4(), 2)]

        await commit(pool, later)

        assert await wait_for(lambda: all_published(pool), timeout=20)
    finally:
        await relay.stop()
    assert relay.published_total == 3


async def test_a_consumers_batch_wakes_the_leading_relay_of_its_own_process_without_a_notification(
    pool, schema, kafka, delivery
):
    # polling alone would take a minute, and the batch sends no NOTIFY: only the wake-up here is in time
    relay = kafka_relay(schema, pool, kafka, delivery.model_copy(update={"relay_poll_interval_s": 60.0}))
    outbox = Outbox()
    outbox.served_by(relay)

    async def reopen(tx: Tx, envelope: Envelope) -> None:
        await tx.add(lifecycle_event(envelope.complaint_id, 1))

    consumer = Consumer("test.woken", lambda: pool, producer="test", handlers={ComplaintReopened: reopen},
                        settings=delivery, outbox=outbox)
    await relay.start()
    try:
        assert await wait_for(lambda: relay.leading, timeout=10)
        await consumer.handle_batch([incoming(lifecycle_event(uuid4(), 0), offset=n) for n in range(2)])

        assert await wait_for(lambda: all_published(pool), timeout=10)
    finally:
        await relay.stop()
    assert relay.published_total == 2


async def test_two_relays_on_one_schema_elect_one_leader_that_publishes_every_row_exactly_once(
    pool, schema, new_pool, kafka, delivery
):
    relays = [kafka_relay(schema, await new_pool(), kafka, delivery) for _ in range(2)]
    for relay in relays:
        await relay.start()
    events = [lifecycle_event(uuid4(), n) for n in range(30)]
    try:
        await commit(pool, events[:15])
        assert await wait_for(lambda: all_published(pool), timeout=15)
        await commit(pool, events[15:])
        assert await wait_for(lambda: all_published(pool), timeout=15)
        advisory = await pool.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
    finally:
        for relay in relays:
            await relay.stop()

    assert advisory == 1
    assert sorted(r.published_total for r in relays) == [0, len(events)]
    records = await read_topic(kafka, events)
    assert sorted(event_id_of(r) for r in records) == event_ids(events)


async def test_when_the_leader_stops_the_standby_takes_over_and_publishes_the_rest(
    pool, schema, new_pool, kafka, delivery
):
    leader = kafka_relay(schema, await new_pool(), kafka, delivery)
    standby = kafka_relay(schema, await new_pool(), kafka, delivery)
    events = [lifecycle_event(uuid4(), n) for n in range(10)]
    await leader.start()
    try:
        await commit(pool, events[:5])
        assert await wait_for(lambda: all_published(pool), timeout=15)
        await standby.start()
        await leader.stop()

        await commit(pool, events[5:])

        assert await wait_for(lambda: all_published(pool), timeout=15)
    finally:
        await leader.stop()
        await standby.stop()
    assert (leader.published_total, standby.published_total) == (5, 5)
    records = await read_topic(kafka, events)
    assert sorted(event_id_of(r) for r in records) == event_ids(events)


class UnreachableBroker:
    """A sender whose broker never answers (the ``Sender`` protocol is ours, so a fake of it is fair)."""

    def __init__(self) -> None:
        self.attempts = 0

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    async def send_all(self, rows) -> None:
        self.attempts += 1
        raise KafkaConnectionError("broker unreachable")


async def test_rows_a_relay_cannot_send_stay_unpublished_until_a_relay_reaches_the_broker(
    pool, schema, kafka, delivery
):
    events = [lifecycle_event(uuid4(), n) for n in range(3)]
    await commit(pool, events)
    broker_away = UnreachableBroker()
    failing = OutboxRelay(pool, schema=schema, sender=broker_away, settings=delivery)
    await failing.start()
    try:
        assert await wait_for(lambda: broker_away.attempts >= 3, timeout=10)
        attempts_so_far = broker_away.attempts
        assert await wait_for(lambda: broker_away.attempts > attempts_so_far, timeout=10)  # still trying
        assert await unpublished(pool) == len(events)
        assert failing.published_total == 0
    finally:
        await failing.stop()

    healthy = kafka_relay(schema, pool, kafka, delivery)
    await healthy.start()
    try:
        assert await wait_for(lambda: all_published(pool), timeout=15)
    finally:
        await healthy.stop()
    records = await read_topic(kafka, events)
    assert sorted(event_id_of(r) for r in records) == event_ids(events)


async def test_a_relay_started_while_the_broker_is_down_keeps_the_rows_and_keeps_trying(
    pool, schema, delivery, delivery_logs
):
    await commit(pool, [lifecycle_event(uuid4(), 1)])
    relay = kafka_relay(schema, pool, f"127.0.0.1:{free_port()}", delivery)  # nothing listens there

    await relay.start()
    try:
        failures = lambda: sum(e["event"] == "outbox_sender_unavailable" for e in delivery_logs)  # noqa: E731
        assert await wait_for(lambda: failures() >= 2, timeout=10)
        assert await unpublished(pool) == 1
    finally:
        await relay.stop()


async def test_a_stopped_relay_has_closed_its_kafka_producer(pool, schema, kafka, delivery):
    await commit(pool, [lifecycle_event(uuid4(), 1)])
    sender = KafkaSender(KafkaSettings(bootstrap_servers=kafka))
    relay = OutboxRelay(pool, schema=schema, sender=sender, settings=delivery)
    await relay.start()
    assert await wait_for(lambda: all_published(pool), timeout=15)

    await relay.stop()

    [outcome] = await sender.send_all(await pool.fetch("SELECT id, topic, key, headers, payload FROM outbox"))
    assert isinstance(outcome, Refused) and outcome.kind == "away"
    assert outcome.reason.startswith(ProducerClosed.__name__)


# --- pruning ----------------------------------------------------------------------------------------


async def test_prune_published_forgets_only_rows_published_longer_ago_than_kept(pool):
    await pool.execute(
        "INSERT INTO outbox (topic, payload, created_at, published_at) VALUES"
        " ('old-published', 'x', now() - interval '3 days', now() - interval '2 days'),"
        " ('recently-published', 'x', now() - interval '3 days', now() - interval '10 minutes'),"
        " ('old-unpublished', 'x', now() - interval '3 days', NULL)"
    )

    pruned = await prune_published(pool, keep_s=3600)

    assert pruned == 1
    assert sorted(r["topic"] for r in await pool.fetch("SELECT topic FROM outbox")) == [
        "old-unpublished", "recently-published",
    ]


async def test_add_many_writes_every_envelopes_rows_in_one_statement_in_the_order_given(pool):
    routed, accepted, reopened = f.routed_envelope(), f.accepted_envelope(), lifecycle_event(uuid4(), 1)
    trace = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}

    async with pool.acquire() as conn, conn.transaction():
        await Outbox().add_many(conn, [routed, accepted, reopened], [trace, None, {}])

    rows = await pool.fetch("SELECT topic, key, headers, payload, event_id, xmin::text AS tx FROM outbox ORDER BY id")
    expected = [(e, topic) for e in (routed, accepted, reopened) for topic in destinations(e)]
    assert [(r["event_id"], r["topic"]) for r in rows] == [(e.event_id, topic) for e, topic in expected]
    assert [r["key"] for r in rows] == [key_of(e, topic) for e, topic in expected]
    assert [bytes(r["payload"]) for r in rows] == [bodies(e, [topic])[0] for e, topic in expected]
    assert all(r["headers"] == {**headers_of(routed), **trace} for r in rows if r["event_id"] == routed.event_id)
    assert all(r["headers"] == headers_of(reopened) for r in rows if r["event_id"] == reopened.event_id)
    assert len({r["tx"] for r in rows}) == 1


async def test_add_many_with_nothing_to_write_writes_nothing_and_a_wrong_header_count_is_refused(pool):
    async with pool.acquire() as conn, conn.transaction():
        await Outbox().add_many(conn, [])
        with pytest.raises(ValueError):
            await Outbox().add_many(conn, [f.accepted_envelope()], [None, None])

    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
