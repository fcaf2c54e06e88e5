"""Helpers for the tests of the consumers' ``Batch`` use cases: a migrated gateway schema without the
rest of the runtime, the ``Tx`` list a consumer would hand over, and a connection that counts statements."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

import asyncpg

from lapor_shared.consumer import Tx
from lapor_shared.db import Conn, create_pool
from lapor_shared.events import Envelope
from lapor_shared.migrator import migrate
from lapor_shared.outbox import Outbox
from lapor_shared.settings import PostgresSettings
from lapor_shared.testing.statements import CountingConnection
from lapor_shared.tx import Pending


@asynccontextmanager
async def gateway_schema(database_url: str, schema: str = "gateway") -> AsyncIterator[asyncpg.Pool]:
    """A pool on ``schema``, migrated as the gateway's own."""
    pool = await create_pool(PostgresSettings(url=database_url), schema=schema)
    try:
        await migrate(pool, schema=schema, package="lapor_gateway.migrations")
        yield pool
    finally:
        await pool.close()


def txs(conn: Conn | CountingConnection, envelopes: Sequence[Envelope[Any]]) -> list[Tx]:
    """One ``Tx`` per event on one connection, as the consumer hands a run to a ``Batch``."""
    pending = Pending()
    return [Tx(cast(Conn, conn), Outbox(), "gateway", envelope, pending=pending) for envelope in envelopes]
