"""The outbox relay's read stays as cheap as the rows it has to send: the rows it published before are passed
over, not visited again at every round until the table is vacuumed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
import pytest

from lapor_shared.outbox import _NEXT_ROWS, OutboxRelay
from lapor_shared.senders import PUBLISHED, Outcome
from lapor_shared.testing.kafka_io import wait_for
from shared.tests.test_outbox import all_published

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60, func_only=True)]

ROWS = 2000
"""Rows of about a kilobyte each, as events are: a few hundred pages of the table."""


class Published:
    """A broker that takes every row (what the relay reads is the point here, not where it goes)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    async def send_all(self, rows: Sequence[asyncpg.Record]) -> list[Outcome]:
        return [PUBLISHED] * len(rows)


async def buffers_read_by_the_next_read(pool: asyncpg.Pool) -> int:
    """The table and index pages one read of the next rows touches (nothing is left to send)."""
    plan: Any = await pool.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {_NEXT_ROWS}", 100)
    top = plan[0]["Plan"]
    return int(top["Shared Hit Blocks"] + top["Shared Read Blocks"])


async def test_rows_published_in_earlier_rounds_are_not_visited_again_by_the_next_read(pool, schema, delivery):
    await pool.execute(
        "INSERT INTO outbox (topic, key, payload) SELECT 'lapor.complaints', ('k' || i)::bytea,"
        " convert_to(repeat('x', 1000), 'UTF8') FROM generate_series(1, $1::int) AS i", ROWS)
    relay = OutboxRelay(pool, schema=schema, sender=Published(),
                        settings=delivery.model_copy(update={"relay_batch_size": 100}))
    await relay.start()
    try:
        assert await wait_for(lambda: all_published(pool), timeout=20)
        # a round or two later the relay has read past what it marked; the rows are not vacuumed yet
        assert await wait_for(lambda: _cheap(pool), timeout=10), await buffers_read_by_the_next_read(pool)
    finally:
        await relay.stop()


async def _cheap(pool: asyncpg.Pool) -> bool:
    return await buffers_read_by_the_next_read(pool) < 30
