"""Helpers for the tests of the consumers' ``Batch`` use cases: a migrated gateway schema without the
rest of the runtime, the ``Tx`` list a consumer would hand over, and a connection that counts statements."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, cast

import asyncpg

from lapor_shared.consumer import Tx
from lapor_shared.db import Conn
from lapor_shared.events import Envelope
from lapor_shared.outbox import Outbox
from lapor_shared.testing.schemas import migrated_pool
from lapor_shared.testing.statements import CountingConnection
from lapor_shared.tx import Pending


def gateway_schema(database_url: str, schema: str = "gateway") -> AbstractAsyncContextManager[asyncpg.Pool]:
    """A pool on ``schema``, migrated as the gateway's own."""
    return migrated_pool(database_url, schema, "lapor_gateway.migrations")


def txs(conn: Conn | CountingConnection, envelopes: Sequence[Envelope[Any]]) -> list[Tx]:
    """One ``Tx`` per event on one connection, as the consumer hands a run to a ``Batch``."""
    pending = Pending()
    return [Tx(cast(Conn, conn), Outbox(), "gateway", envelope, pending=pending) for envelope in envelopes]
