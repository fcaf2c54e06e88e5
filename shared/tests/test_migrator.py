"""The migrator: shared delivery tables first, then the service's files, each exactly once."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from lapor_shared.db import create_pool
from lapor_shared.migrator import migrate
from lapor_shared.settings import PostgresSettings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30, func_only=True)]

SHARED = ["shared/0001_delivery.sql", "shared/0002_outbox_notify.sql", "shared/0003_hostile_input.sql",
          "shared/0004_outbox_woken_here.sql"]


def everything(schema: str) -> list[str]:
    """The shared delivery migrations, then the sample service's, by the names they are recorded under."""
    return [*SHARED, f"{schema}/0001_effects.sql", f"{schema}/0002_effects_at.sql"]


async def recorded(pool: asyncpg.Pool) -> list[str]:
    return [r["name"] for r in await pool.fetch("SELECT name FROM schema_migrations ORDER BY name")]


async def tables(pool: asyncpg.Pool, schema: str) -> set[str]:
    rows = await pool.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema)
    return {r["table_name"] for r in rows}


async def test_a_fresh_schema_gets_the_shared_delivery_tables_then_the_service_migrations(
    new_pool, sample_migrations, schema
):
    pool = await new_pool()

    applied = await migrate(pool, schema=schema, package=sample_migrations)

    assert applied == everything(schema)
    assert {"outbox", "inbox", "effects", "schema_migrations"} <= await tables(pool, schema)
    columns = await pool.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'effects'",
        schema,
    )
    assert {c["column_name"] for c in columns} == {"event_id", "note", "done_at"}


async def test_a_second_run_applies_nothing_and_records_each_migration_once(new_pool, sample_migrations, schema):
    pool = await new_pool()
    await migrate(pool, schema=schema, package=sample_migrations)

    again = await migrate(pool, schema=schema, package=sample_migrations)

    assert again == []
    assert await recorded(pool) == sorted(everything(schema))


async def test_two_replicas_starting_together_apply_each_migration_exactly_once(new_pool, sample_migrations, schema):
    first, second = await new_pool(), await new_pool()

    results = await asyncio.gather(
        migrate(first, schema=schema, package=sample_migrations),
        migrate(second, schema=schema, package=sample_migrations),
    )

    applied = [name for result in results for name in result]
    assert sorted(applied) == sorted(everything(schema))  # both succeeded, nothing applied twice
    assert await recorded(first) == sorted(everything(schema))


async def test_a_failing_migration_leaves_nothing_half_applied(new_pool, broken_migrations, schema):
    pool = await new_pool()

    with pytest.raises(asyncpg.UndefinedTableError):
        await migrate(pool, schema=schema, package=broken_migrations)

    assert await tables(pool, schema) == set()  # not even the shared tables or the bookkeeping table


async def test_the_outbox_trigger_notifies_the_schemas_own_channel(
    new_pool, sample_migrations, schema, module_database_url
):
    pool = await new_pool()
    await migrate(pool, schema=schema, package=sample_migrations)
    listener = await asyncpg.connect(module_database_url)
    heard: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(f"lapor_outbox_{schema}", lambda *args: heard.put_nowait(args[2]))
    try:
        await pool.execute("INSERT INTO outbox (topic, payload) VALUES ('t', 'x'), ('t', 'y')")

        channel = await asyncio.wait_for(heard.get(), timeout=5)
    finally:
        await listener.close()
    assert channel == f"lapor_outbox_{schema}"
    assert heard.empty()  # one notification per statement, not per row


async def test_every_service_schema_gets_its_own_delivery_tables(new_pool, sample_migrations, schema,
                                                                module_database_url):
    pool = await new_pool()
    await migrate(pool, schema=schema, package=sample_migrations)
    other_schema = f"{schema}_other"
    other = await create_pool(PostgresSettings(url=module_database_url), schema=other_schema)
    try:
        applied = await migrate(other, schema=other_schema, package=sample_migrations)
        await other.execute("INSERT INTO outbox (topic, payload) VALUES ('t', 'x')")
    finally:
        await other.close()

    assert applied == everything(other_schema)
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0  # the other service's outbox is its own
