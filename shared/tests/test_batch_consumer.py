"""A batch of records goes through decode → inbox → effect → outbox in one transaction, and falls back
to one-by-one processing when anything in it fails."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass

import asyncpg
import pytest
from aiokafka import TopicPartition

from lapor_shared import offset_gaps, tracing
from lapor_shared.consumer import Batch, Consumer
from lapor_shared.db import create_pool
from lapor_shared.events import encode
from lapor_shared.events.intake import ComplaintAccepted
from lapor_shared.events.lifecycle import ComplaintRouted, DeadlineSet
from lapor_shared.migrator import migrate
from lapor_shared.outbox import BrokerSender, Outbox, OutboxRelay
from lapor_shared.settings import DeliverySettings, PostgresSettings
from lapor_shared.testing.factories import accepted_envelope, routed_envelope
from lapor_shared.testing.records import Delivered, Seeks
from lapor_shared.testing.statements import CountingPool

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@dataclass
class Record:
    value: bytes | None
    offset: int
    topic: str = "lapor.complaints"
    partition: int = 0
    headers: tuple = ()
    key: bytes | None = None


@pytest.fixture
async def pool(database_url):
    pool = await create_pool(PostgresSettings(url=database_url), schema="batch_test")
    await migrate(pool, schema="batch_test", package="lapor_shared.testing")
    await pool.execute("CREATE TABLE effects (complaint_id uuid, n int)")
    yield pool
    await pool.close()


def consumer_for(pool: asyncpg.Pool, *, fail_on: set[str] = frozenset()) -> Consumer:
    async def record_effect(tx, envelope):
        if envelope.tracking_number in fail_on:
            raise RuntimeError("this complaint always breaks its handler")
        await tx.conn.execute("INSERT INTO effects VALUES ($1, 1)", envelope.complaint_id)
        await tx.emit(DeadlineSet(stage="follow_up", agency_id="umum.18.71", due_at=envelope.occurred_at,
                                  working_days=5, policy_version="test"))

    settings = DeliverySettings(retry_initial_backoff_s=0.001, retry_max_backoff_s=0.002, handler_max_attempts=2)
    return Consumer("test.batch", lambda: pool, producer="test", handlers={ComplaintAccepted: record_effect},
                    settings=settings)


def records_of(*envelopes_or_bytes) -> list[Record]:
    return [Record(item if isinstance(item, bytes) or item is None else encode(item), offset)
            for offset, item in enumerate(envelopes_or_bytes)]


async def test_a_batch_commits_every_effect_event_and_inbox_row_together(pool):
    envelopes = [accepted_envelope() for _ in range(5)]

    await consumer_for(pool).handle_batch(records_of(*envelopes))

    assert await pool.fetchval("SELECT count(*) FROM effects") == 5
    assert await pool.fetchval("SELECT count(*) FROM inbox") == 5
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE topic = 'lapor.complaints'") == 5


async def test_an_event_seen_before_or_twice_in_one_batch_takes_effect_once(pool):
    first, second = accepted_envelope(), accepted_envelope()
    consumer = consumer_for(pool)
    await consumer.handle_batch(records_of(first))

    await consumer.handle_batch(records_of(first, second, second))

    assert await pool.fetchval("SELECT count(*) FROM effects") == 2
    assert consumer.duplicates == 2


async def test_an_undecodable_record_in_a_batch_is_dead_lettered_and_the_rest_take_effect(pool):
    good = accepted_envelope()

    await consumer_for(pool).handle_batch(records_of(b"{not json", good, None))

    assert await pool.fetchval("SELECT count(*) FROM effects") == 1
    reasons = await pool.fetch("SELECT headers->>'dlq_reason' AS reason FROM outbox WHERE topic = 'lapor.deadletter'")
    assert len(reasons) == 2
    assert any("not JSON" in r["reason"] for r in reasons)
    assert any("empty body" in r["reason"] for r in reasons)


async def test_a_failing_handler_rolls_the_batch_back_then_only_its_record_is_dead_lettered(pool):
    good_before, bad, good_after = accepted_envelope(), accepted_envelope(), accepted_envelope()
    consumer = consumer_for(pool, fail_on={bad.tracking_number})

    await consumer.handle_batch(records_of(good_before, bad, good_after))

    assert await pool.fetchval("SELECT count(*) FROM effects") == 2
    dead = await pool.fetch("SELECT headers FROM outbox WHERE topic = 'lapor.deadletter'")
    assert len(dead) == 1
    assert "always breaks its handler" in dead[0]["headers"]["dlq_reason"]
    assert await pool.fetchval("SELECT count(*) FROM inbox") == 3


def crossing_consumer(pool: asyncpg.Pool, name: str, order: list[int], turns: list[asyncio.Event],
                      calls: list[str], *, serial: str | None) -> Consumer:
    """A consumer whose handler writes two shared rows in ``order`` and lets the other consumer take its
    first row in between (if the other can run at all): the shape of two topics keyed differently."""

    async def write_rows(tx, envelope):
        calls.append(name)
        first, second = order
        await tx.conn.execute("INSERT INTO effects VALUES (NULL, $1) ON CONFLICT DO NOTHING", first)
        turns[first].set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(turns[second].wait(), 0.3)
        await tx.conn.execute("INSERT INTO effects VALUES (NULL, $1) ON CONFLICT DO NOTHING", second)

    settings = DeliverySettings(retry_initial_backoff_s=0.001, retry_max_backoff_s=0.002)
    return Consumer(name, lambda: pool, producer="test", handlers={ComplaintAccepted: write_rows},
                    settings=settings, serial=serial)


async def test_consumers_sharing_a_serial_lock_never_deadlock_on_rows_they_write_in_opposite_orders(pool):
    serial = "test.shared-rows"  # without it, PostgreSQL detects a deadlock and a batch falls back to one by one
    await pool.execute("CREATE UNIQUE INDEX ON effects (n)")
    turns = [asyncio.Event(), asyncio.Event()]
    calls: list[str] = []
    one = crossing_consumer(pool, "test.one", [0, 1], turns, calls, serial=serial)
    other = crossing_consumer(pool, "test.other", [1, 0], turns, calls, serial=serial)

    await asyncio.gather(one.handle_batch(records_of(accepted_envelope(), accepted_envelope())),
                         other.handle_batch(records_of(accepted_envelope(), accepted_envelope())))

    assert sorted(calls) == ["test.one"] * 2 + ["test.other"] * 2  # each record once: no batch fell back
    assert one.processed == other.processed == 2


async def test_a_batchs_events_and_inbox_rows_are_written_last_by_one_statement_in_the_order_emitted(pool):
    counted = CountingPool(pool)
    consumer = consumer_for(pool)
    consumer._get_pool = lambda: counted
    envelopes = [accepted_envelope() for _ in range(4)]

    await consumer.handle_batch(records_of(*envelopes))

    touching_inbox = [s for s in counted.statements if "INTO inbox" in s]
    assert touching_inbox == [counted.statements[-1]] and "INTO outbox" in counted.statements[-1]
    assert await pool.fetchval("SELECT count(*) FROM inbox") == 4
    rows = await pool.fetch("SELECT payload FROM outbox WHERE topic = 'lapor.complaints' ORDER BY id")
    assert [json.loads(r["payload"])["complaint_id"] for r in rows] == [str(e.complaint_id) for e in envelopes]


async def test_a_batch_holding_an_event_recorded_before_commits_nothing_of_its_first_try(pool):
    seen_before, fresh = accepted_envelope(), accepted_envelope()
    consumer = consumer_for(pool)
    await consumer.handle_batch(records_of(seen_before))

    await consumer.handle_batch(records_of(fresh, seen_before))

    assert await pool.fetchval("SELECT count(*) FROM effects") == 2  # the first try's effect of fresh rolled back
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE topic = 'lapor.complaints'") == 2
    assert (consumer.processed, consumer.duplicates) == (2, 1)


async def test_a_batch_that_emits_nothing_still_records_its_inbox_rows(pool):
    async def quiet(tx, envelope):
        await tx.conn.execute("INSERT INTO effects VALUES ($1, 1)", envelope.complaint_id)

    consumer = Consumer("test.quiet", lambda: pool, producer="test", handlers={ComplaintAccepted: quiet},
                        settings=DeliverySettings())
    envelopes = [accepted_envelope(), accepted_envelope()]

    await consumer.handle_batch(records_of(*envelopes))
    await consumer.handle_batch(records_of(*envelopes))

    assert await pool.fetchval("SELECT count(*) FROM inbox WHERE consumer = 'test.quiet'") == 2
    assert await pool.fetchval("SELECT count(*) FROM effects") == 2
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    assert consumer.duplicates == 2


def batch_consumer_for(pool: asyncpg.Pool, runs: list[list[str]], *, fail_on: set[str] = frozenset()) -> Consumer:
    """Accepted events go to a ``Batch`` use case (one statement per run), routed ones one at a time."""

    async def record_run(txs):
        runs.append([tx.cause.tracking_number for tx in txs])
        if fail_on & {tx.cause.tracking_number for tx in txs}:
            raise RuntimeError("this complaint always breaks its handler")
        await txs[0].conn.execute("INSERT INTO effects SELECT unnest($1::uuid[]), 1",
                                  [tx.cause.complaint_id for tx in txs])
        for tx in txs:
            with tx.scope():
                await tx.emit(DeadlineSet(stage="follow_up", agency_id="umum.18.71", due_at=tx.cause.occurred_at,
                                          working_days=5, policy_version="test"))

    async def record_one(tx, envelope):
        runs.append([envelope.tracking_number])
        await tx.conn.execute("INSERT INTO effects VALUES ($1, 2)", envelope.complaint_id)

    settings = DeliverySettings(retry_initial_backoff_s=0.001, retry_max_backoff_s=0.002, handler_max_attempts=2)
    return Consumer("test.batch", lambda: pool, producer="test", settings=settings,
                    handlers={ComplaintAccepted: Batch(record_run), ComplaintRouted: record_one})


async def test_a_batch_use_case_gets_each_run_of_its_events_whole_and_in_record_order(pool):
    a, b, routed, c, d = (accepted_envelope(), accepted_envelope(), routed_envelope(), accepted_envelope(),
                          accepted_envelope())
    runs: list[list[str]] = []

    await batch_consumer_for(pool, runs).handle_batch(records_of(a, b, routed, c, d, a))

    assert runs == [[a.tracking_number, b.tracking_number], [routed.tracking_number],
                    [c.tracking_number, d.tracking_number]]  # a again: a duplicate, skipped
    assert await pool.fetchval("SELECT count(*) FROM effects") == 5
    assert await pool.fetchval("SELECT count(*) FROM inbox") == 5
    emitted = await pool.fetch("SELECT payload FROM outbox WHERE topic = 'lapor.complaints' ORDER BY id")
    assert [json.loads(r["payload"])["causation_id"] for r in emitted] == [
        str(e.event_id) for e in (a, b, c, d)]


async def test_a_failing_batch_use_case_is_retried_one_event_at_a_time_and_only_the_bad_one_dead_lettered(pool):
    good, bad, other = accepted_envelope(), accepted_envelope(), accepted_envelope()
    runs: list[list[str]] = []

    await batch_consumer_for(pool, runs, fail_on={bad.tracking_number}).handle_batch(records_of(good, bad, other))

    assert runs[0] == [good.tracking_number, bad.tracking_number, other.tracking_number]
    assert [good.tracking_number] in runs[1:] and [other.tracking_number] in runs[1:]
    assert await pool.fetchval("SELECT count(*) FROM effects") == 2
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE topic = 'lapor.deadletter'") == 1


@pytest.mark.parametrize("exporting", [False, True], ids=["no exporter", "an exporter"])
async def test_an_events_scope_carries_one_valid_trace_each_time_it_is_entered_even_without_trace_headers(
    pool, monkeypatch, exporting,
):
    monkeypatch.setattr(tracing, "_exporting", exporting)
    seen: list[list[str | None]] = []

    async def twice(txs):
        for tx in txs:
            ids = []
            for _ in range(2):
                with tx.scope():
                    ids.append(tracing.current_trace_headers().get("traceparent"))
            seen.append(ids)

    consumer = Consumer("test.batch", lambda: pool, producer="test", settings=DeliverySettings(),
                        handlers={ComplaintAccepted: Batch(twice)})
    await consumer.handle_batch(records_of(accepted_envelope(), accepted_envelope()))  # no trace headers

    assert len(seen) == 2 and all(first is not None and first == again for first, again in seen)
    assert seen[0][0] != seen[1][0], "each event its own trace"


@dataclass(eq=False)
class TailReader(Seeks):
    """The aiokafka consumer behind a batch: where it was told to seek, and its group's committed offset."""

    committed_at: int | None = None

    async def committed(self, tp: TopicPartition) -> int | None:
        return self.committed_at


async def test_records_after_a_missing_offset_take_no_effect_until_it_comes_and_only_those_before_it_finish(
    pool, monkeypatch
):
    monkeypatch.setattr(offset_gaps, "PAUSE_S", 0.0)
    batch = records_of(*(accepted_envelope() for _ in range(4)))  # offsets 0 to 3
    consumer, reader, tp = consumer_for(pool), TailReader(committed_at=0), TopicPartition("lapor.complaints", 0)

    before_it = await consumer.handle(Delivered((batch[0], batch[1], batch[3]), reader))  # 2 is not stored yet
    effects_before_it = await pool.fetchval("SELECT count(*) FROM effects")
    once_it_came = await consumer.handle(Delivered((batch[2], batch[3]), reader))

    assert before_it == {tp: 2} and reader.done == [("lapor.complaints", 0, 2)] and effects_before_it == 2
    assert once_it_came == {tp: 4} and await pool.fetchval("SELECT count(*) FROM effects") == 4


async def notifications_while(pool: asyncpg.Pool, schema: str, work) -> list[str]:
    """The NOTIFYs on ``schema``'s outbox channel while ``work()`` runs (and a moment after)."""
    heard: list[str] = []
    async with pool.acquire() as listener:
        await listener.add_listener(f"lapor_outbox_{schema}", lambda *args: heard.append(args[2]))
        try:
            await work()
            await asyncio.sleep(0.2)
        finally:
            await listener.reset()  # the pool's release would not drop the listener
    return heard


def relay_here(pool: asyncpg.Pool, outbox: Outbox, *, leading: bool) -> list[int]:
    """An outbox served by a relay of this process that leads (or not); the wake-ups it was given."""
    woken: list[int] = []
    relay = OutboxRelay(pool, schema="batch_test", sender=BrokerSender(None), settings=DeliverySettings())
    relay.leading = leading
    relay.backlog_hint = lambda: woken.append(1)  # type: ignore[method-assign]
    outbox.served_by(relay)
    return woken


@pytest.mark.parametrize("leading", [True, False], ids=["leads here", "leads elsewhere"])
async def test_a_batch_wakes_the_relay_here_when_it_leads_here_and_by_a_notify_when_it_may_lead_elsewhere(
    pool, leading,
):
    outbox = Outbox()
    woken = relay_here(pool, outbox, leading=leading)
    consumer = consumer_for(pool)
    consumer._outbox = outbox

    heard = await notifications_while(
        pool, "batch_test", lambda: consumer.handle_batch(records_of(accepted_envelope(), accepted_envelope())))

    assert await pool.fetchval("SELECT count(DISTINCT event_id) FROM outbox") == 2
    assert (len(heard), len(woken)) == ((0, 1) if leading else (1, 0))


async def test_a_write_outside_a_consumers_batch_still_notifies_while_the_relay_leads_here(pool):
    outbox = Outbox()
    relay_here(pool, outbox, leading=True)

    async def timer_round():
        async with pool.acquire() as conn, conn.transaction():
            await outbox.add(conn, accepted_envelope())

    assert len(await notifications_while(pool, "batch_test", timer_round)) == 1
