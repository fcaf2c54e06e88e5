"""A service's schema, migrated, on a test's database: to compare one run of a use case with another in
two schemas side by side (the batch tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from lapor_shared.db import create_pool
from lapor_shared.migrator import migrate
from lapor_shared.settings import PostgresSettings


@asynccontextmanager
async def migrated_pool(database_url: str, schema: str, package: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on ``schema``, migrated with ``package``'s migrations, closed on the way out."""
    pool = await create_pool(PostgresSettings(url=database_url), schema=schema)
    try:
        await migrate(pool, schema=schema, package=package)
        yield pool
    finally:
        await pool.close()
