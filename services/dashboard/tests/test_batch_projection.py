"""The projector takes a run of events at once (``Projector.apply_many``, the consumer's ``Batch`` use case):
the read model it leaves equals the one the same events leave one by one, however they are batched, and
a run costs the same few statements whatever its length (issue 17)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from lapor_dashboard.service import READ, Projector
from lapor_shared.consumer import Batch, Tx
from lapor_shared.events import Envelope
from lapor_shared.outbox import Outbox
from lapor_shared.testing.schemas import migrated_pool
from lapor_shared.testing.statements import CountingConnection

from .conftest import SECRET_TITLE, T0, Story

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

PoolOf = Callable[[str], Any]


@pytest.fixture
async def pool_of(database_url: str) -> AsyncIterator[PoolOf]:
    """``await pool_of("schema")``: a pool of a fresh, migrated copy of the dashboard's schema."""
    async with AsyncExitStack() as pools:
        async def make(schema: str) -> asyncpg.Pool:
            return await pools.enter_async_context(
                migrated_pool(database_url, schema, "lapor_dashboard.migrations"))

        yield make


def interleaved(*stories: Story) -> list[Envelope[Any]]:
    """The stories' events taken in turn, one of each story at a time."""
    queues = [list(story.events) for story in stories]
    order: list[Envelope[Any]] = []
    while any(queues):
        order.extend(queue.pop(0) for queue in queues if queue)
    return order


def a_busy_stretch() -> tuple[list[Envelope[Any]], Story]:
    """Four complaints' events interleaved, one of them told twice and one told before its cause; the
    complaint whose title was corrected on routing (told before it was accepted) comes back too."""
    answered = Story("18.71").routed().deadline(days=5).acknowledged().responded(hours=30).closed().rated(4)
    confidential = Story("18.71", at=T0 + timedelta(hours=1), confidential=True, title=SECRET_TITLE).routed()
    triaged = Story("18.03", at=T0 + timedelta(hours=2)).triage("18").routed("18").deadline(days=3).breached()
    retitled = Story("11.01", at=T0 + timedelta(hours=3))
    retitled.title = "Judul yang diperbaiki petugas"
    retitled.routed().deadline(days=5)
    events = interleaved(answered, confidential, triaged, retitled)
    events.append(answered.events[1])  # the routing again (a redelivery)
    accepted = events.index(retitled.accepted)
    events.insert(events.index(retitled.events[1]) + 1, events.pop(accepted))  # accepted after its routing
    return events, retitled


async def one_by_one(pool: asyncpg.Pool, events: Sequence[Envelope[Any]]) -> None:
    projector = Projector()
    for envelope in events:
        async with pool.acquire() as conn, conn.transaction():
            await projector.apply(Tx(conn, Outbox(), "dashboard", envelope), envelope)


async def in_runs(pool: asyncpg.Pool, events: Sequence[Envelope[Any]], size: int) -> None:
    projector = Projector()
    for start in range(0, len(events), size):
        async with pool.acquire() as conn, conn.transaction():
            await projector.apply_many([Tx(conn, Outbox(), "dashboard", e) for e in events[start:start + size]])


async def read_model(pool: asyncpg.Pool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = await pool.fetch("SELECT * FROM complaints ORDER BY complaint_id")
    log = await pool.fetch("SELECT event_id, complaint_id, occurred_at, event_type, facts FROM complaint_events"
                           " ORDER BY event_id")
    return [dict(r) | {"updated_at": None} for r in rows], [dict(r) for r in log]


@pytest.mark.parametrize("size", [1000, 5, 3, 1], ids=["one-batch", "runs-of-5", "runs-of-3", "runs-of-1"])
async def test_a_run_of_events_leaves_the_read_model_the_same_events_leave_one_by_one(pool_of, size):
    events, retitled = a_busy_stretch()
    single, batched = await pool_of("dashboard_single"), await pool_of("dashboard_batched")

    await one_by_one(single, events)
    await in_runs(batched, events, size)

    expected, got = await read_model(single), await read_model(batched)
    assert len(expected[0]) == 4 and len(expected[1]) == len(events) - 1  # the redelivery added nothing
    assert got == expected
    title = await batched.fetchval("SELECT title FROM complaints WHERE complaint_id = $1",
                                   retitled.accepted.complaint_id)
    assert title == retitled.accepted.payload.title  # told last, the acceptance's title is the one kept


async def test_a_run_whose_events_are_all_in_the_log_already_changes_no_row(pool_of):
    events, _ = a_busy_stretch()
    pool = await pool_of("dashboard")
    await in_runs(pool, events, 1000)
    before = await pool.fetch("SELECT complaint_id, updated_at FROM complaints ORDER BY complaint_id")

    await in_runs(pool, events, 1000)  # a rebuild beside the live consumer: every line is there

    assert await pool.fetch("SELECT complaint_id, updated_at FROM complaints ORDER BY complaint_id") == before


@pytest.mark.parametrize("complaints", [1, 10])
async def test_a_run_costs_three_statements_whatever_its_length(pool_of, complaints):
    stories = [Story("18.71", at=T0 + timedelta(minutes=i)).routed().deadline(days=5) for i in range(complaints)]
    events = interleaved(*stories)
    pool = await pool_of("dashboard")

    async with pool.acquire() as conn, conn.transaction():
        counting = CountingConnection(conn)
        await Projector().apply_many([Tx(counting, Outbox(), "dashboard", e) for e in events])  # type: ignore[arg-type]

    assert len(events) == 3 * complaints
    assert len(counting.statements) == 3, counting.statements
    assert await pool.fetchval("SELECT count(*) FROM complaints") == complaints
    assert await pool.fetchval("SELECT count(*) FROM complaint_events") == len(events)


def test_every_event_the_read_model_reads_goes_to_one_batch_use_case():
    handlers = Projector().handlers()

    assert set(handlers) == set(READ)
    assert len(set(map(id, handlers.values()))) == 1 and isinstance(next(iter(handlers.values())), Batch)

