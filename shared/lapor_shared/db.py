"""PostgreSQL plumbing: asyncpg pools whose queries are confined to the service's schema."""

from __future__ import annotations

import json
import weakref
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg

from lapor_shared.settings import PostgresSettings

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

Conn: TypeAlias = "asyncpg.Connection | PoolConnectionProxy"
"""A connection, opened directly or borrowed from a pool: asyncpg's type stubs tell the two apart, the
code uses them alike."""

Executor: TypeAlias = "Conn | asyncpg.Pool"
"""What runs a query: a connection, or the pool itself (each query then borrows one)."""


_HOLDING_SESSION_STATE: weakref.WeakSet[Any] = weakref.WeakSet()


def holds_session_state(conn: Conn) -> None:
    """Mark a pooled connection that is about to hold state beyond its transactions (a session-level
    advisory lock, a ``LISTEN``): its release runs asyncpg's full reset (unlock all, unlisten, close
    cursors, reset settings), so nothing passes to the connection's next user.

    Every other connection goes back to the pool after asyncpg's own clean-up only (an open transaction
    rolled back, its listener callbacks dropped): the full reset was a round trip, and four statements,
    at every release, one in five of a consumer transaction's round trips (issue 17). The code that takes
    such state marks its connection first; ``shared/tests/test_session_state.py`` fails on a session lock
    or a listener in a file that does not.
    """
    _HOLDING_SESSION_STATE.add(getattr(conn, "_con", conn))  # a pool hands out proxies of the connection


async def _reset(conn: asyncpg.Connection) -> None:
    """The pool's reset on release (after asyncpg rolled back an open transaction): the full reset for a
    connection marked by ``holds_session_state``, none for the others."""
    if conn in _HOLDING_SESSION_STATE:
        _HOLDING_SESSION_STATE.discard(conn)
        query = conn.get_reset_query()
        if query:
            await conn.execute(query)


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(settings: PostgresSettings, *, schema: str, statement_timeout_ms: int | None = None,
                      purpose: str | None = None) -> asyncpg.Pool:
    """A pool whose connections see only ``schema`` (and ``public``) on their search path.

    Each service owns one schema and never reads another's; in production each gets its own role.
    ``statement_timeout_ms`` makes PostgreSQL cancel any statement running longer (``QueryCanceledError``);
    ``purpose`` names the pool in ``pg_stat_activity`` (``lapor-intake-http``).
    """
    await ensure_schema(settings.url, schema)
    server_settings = {"search_path": f"{schema},public",
                       "application_name": f"lapor-{schema}" + (f"-{purpose}" if purpose else "")}
    if statement_timeout_ms is not None:
        server_settings["statement_timeout"] = str(statement_timeout_ms)
        server_settings["idle_in_transaction_session_timeout"] = str(statement_timeout_ms * 2)
    pool = await asyncpg.create_pool(
        settings.url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        server_settings=server_settings,
        init=_init_connection,
        reset=_reset,
    )
    assert pool is not None
    return pool


async def ensure_schema(url: str, schema: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        # asking first means a service role needs CREATE on the database only for the very first start
        if not await conn.fetchval("SELECT true FROM pg_namespace WHERE nspname = $1", schema):
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    except asyncpg.UniqueViolationError:
        pass  # created concurrently by another replica
    finally:
        await conn.close()
