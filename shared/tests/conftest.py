"""Fixtures of the delivery tests: a fresh service schema per test, with the delivery tables.

Each test module gets one fresh database and each test its own schema in it: the outbox, its NOTIFY
channel, the relay's advisory lock and the migrations are all per schema, so tests stay apart at a
fraction of the cost of a database each.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import structlog
from structlog.testing import capture_logs

import lapor_shared.consumer
import lapor_shared.outbox
from lapor_shared.db import create_pool
from lapor_shared.migrator import migrate
from lapor_shared.settings import DeliverySettings, PostgresSettings
from lapor_shared.testing.infra import Infrastructure


def _register_package(folder: str) -> str:
    """Make a migrations folder beside this file importable by name, as a service's package is.

    The tests are imported with ``--import-mode=importlib``, so this folder is not on ``sys.path``.
    """
    name = f"lapor_shared_tests_{folder}"
    if name not in sys.modules:
        init = Path(__file__).parent / folder / "__init__.py"
        spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(init.parent)])
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return name


SAMPLE_MIGRATIONS = _register_package("sample_migrations")
"""Two files: ``effects`` (event_id, note) and its ``done_at`` column."""
BROKEN_MIGRATIONS = _register_package("broken_migrations")
"""Two files, the second of which fails."""


@pytest.fixture
def sample_migrations() -> str:
    return SAMPLE_MIGRATIONS


@pytest.fixture
def broken_migrations() -> str:
    return BROKEN_MIGRATIONS


@pytest.fixture(scope="module")
async def module_database_url(infra: Infrastructure) -> str:
    """A fresh database shared by the tests of one module (each works in its own schema)."""
    return await infra.new_database()


@pytest.fixture
def schema() -> str:
    """The schema this test's pretend service owns."""
    return f"svc_{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def new_pool(module_database_url: str, schema: str) -> AsyncIterator:
    """``await new_pool()``: another pool on the test's schema, as another replica of the service has."""
    pools: list[asyncpg.Pool] = []

    async def make(**settings: object) -> asyncpg.Pool:
        pool = await create_pool(PostgresSettings(url=module_database_url, **settings), schema=schema)
        pools.append(pool)
        return pool

    try:
        yield make
    finally:
        for pool in pools:
            await pool.close()


@pytest.fixture
async def pool(new_pool, schema: str) -> asyncpg.Pool:
    """A pool of the service schema, migrated: outbox, inbox and the sample ``effects`` table."""
    pool = await new_pool()
    await migrate(pool, schema=schema, package=SAMPLE_MIGRATIONS)
    return pool


@pytest.fixture
def delivery() -> DeliverySettings:
    """Delivery settings with tiny backoffs, so that retries take milliseconds."""
    return DeliverySettings(
        handler_max_attempts=3, retry_initial_backoff_s=0.001, retry_max_backoff_s=0.01,
        relay_poll_interval_s=0.05,
    )


@pytest.fixture
def delivery_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict]]:
    """The structured log events of the consumer and the outbox relay during the test.

    Their module loggers are swapped for fresh ones, so that a logger cached after an earlier
    ``configure_logging()`` (which turns on ``cache_logger_on_first_use``) cannot bypass the capture.
    """
    for module, component in ((lapor_shared.consumer, "consumer"), (lapor_shared.outbox, "outbox")):
        monkeypatch.setattr(module, "log", structlog.get_logger(component=component))
    with capture_logs() as logs:
        yield logs
