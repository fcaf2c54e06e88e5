"""pytest fixtures shared by every test folder (registered from the root conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from lapor_shared.db import Conn
from lapor_shared.testing.infra import Infrastructure, start_infrastructure


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infrastructure]:
    infrastructure = start_infrastructure(tmp_path_factory.mktemp("infra"))
    try:
        yield infrastructure
    finally:
        infrastructure.close()


@pytest.fixture
async def database_url(infra: Infrastructure) -> str:
    """A fresh database for this test."""
    return await infra.new_database()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Conn]:
    conn = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
def kafka_bootstrap(infra: Infrastructure, tmp_path: Path) -> Iterator[str]:
    """A broker with every catalogued topic and no other test's messages (when embedded)."""
    bootstrap, broker = infra.new_kafka(tmp_path)
    try:
        yield bootstrap
    finally:
        if broker is not None:
            broker.stop()
