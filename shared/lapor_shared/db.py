"""PostgreSQL plumbing: asyncpg pools whose queries are confined to the service's schema."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TypeAlias

import asyncpg

from lapor_shared.settings import PostgresSettings

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

Conn: TypeAlias = "asyncpg.Connection | PoolConnectionProxy"
"""A connection, opened directly or borrowed from a pool: asyncpg's type stubs tell the two apart, the
code uses them alike."""

Executor: TypeAlias = "Conn | asyncpg.Pool"
"""What runs a query: a connection, or the pool itself (each query then borrows one)."""


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
