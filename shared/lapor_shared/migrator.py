"""Plain-SQL migrations per service, applied in order, once, safe under concurrent starts.

Each service has a ``migrations/`` package of ``NNNN_name.sql`` files. The delivery tables every
service needs (outbox, inbox) come from ``lapor_shared/migrations`` and are applied first into the
same schema. A transaction-level advisory lock keyed on the schema serialises concurrent runners.
"""

from __future__ import annotations

import zlib
from importlib import resources
from importlib.resources.abc import Traversable

import asyncpg

from lapor_shared.logging import get_logger

log = get_logger(component="migrations")


def _sql_files(package: str) -> list[Traversable]:
    files = [f for f in resources.files(package).iterdir() if f.name.endswith(".sql")]
    return sorted(files, key=lambda f: f.name)


async def migrate(pool: asyncpg.Pool, *, schema: str, package: str) -> list[str]:
    """Apply the shared delivery migrations and then ``package``'s migrations to ``schema``.

    Returns the names applied by this call (empty when already up to date).
    """
    plan = [(f"shared/{f.name}", f) for f in _sql_files("lapor_shared.migrations")]
    plan += [(f"{schema}/{f.name}", f) for f in _sql_files(package)]
    applied_now: list[str] = []
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", zlib.crc32(f"migrate:{schema}".encode()))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for name, file in plan:
            if name in done:
                continue
            await conn.execute(file.read_text(encoding="utf-8"))
            await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            applied_now.append(name)
    if applied_now:
        log.info("migrations_applied", schema=schema, applied=applied_now)
    return applied_now
