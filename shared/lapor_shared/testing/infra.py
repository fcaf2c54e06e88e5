"""Infrastructure for tests, by one ladder: configured URLs → testcontainers (when a Docker engine
answers) → the embedded pair. Never a mock of what we own."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from lapor_shared.infra import EmbeddedKafka, EmbeddedPostgres
from lapor_shared.kafka import provision_topics


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database (works for socket and TCP URLs)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


@dataclass
class Infrastructure:
    kind: str  # "configured", "testcontainers" or "embedded"
    bootstrap_servers: str
    database_url: str
    postgres: EmbeddedPostgres | None = None
    kafka: EmbeddedKafka | None = None
    _stack: ExitStack = field(default_factory=ExitStack)

    async def new_database(self) -> str:
        """A fresh, empty database on the server: each test owns its data."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        conn = await asyncpg.connect(self.database_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return with_database(self.database_url, name)

    def new_kafka(self, log_dir: Path | None = None) -> tuple[str, EmbeddedKafka | None]:
        """A broker no other test has used (embedded: a fresh Tansu, started in milliseconds).

        With a configured or containerised broker the shared one is returned; tests then rely on
        their unique ids and consumer groups.
        """
        if self.kind != "embedded":
            return self.bootstrap_servers, None
        broker = EmbeddedKafka(log_path=(log_dir / "kafka.log") if log_dir else None).start()
        asyncio.run(provision_topics(broker.bootstrap_servers))
        return broker.bootstrap_servers, broker

    def on_close(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` when the infrastructure closes, before what it started itself is stopped."""
        self._stack.callback(callback)

    def close(self) -> None:
        self._stack.close()


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


def start_infrastructure(work_dir: Path, *, kafka: EmbeddedKafka | None = None) -> Infrastructure:
    """The configured URLs, else containers, else the embedded pair; ``kafka``, started, is used (and stopped)
    instead of a new embedded broker (a measuring tool's broker behind a proxy)."""
    kafka_url = os.environ.get("LAPOR_TEST_KAFKA_BOOTSTRAP_SERVERS") or os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    db_url = os.environ.get("LAPOR_TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if kafka is None and kafka_url and db_url:
        asyncio.run(provision_topics(kafka_url))
        return Infrastructure("configured", kafka_url, db_url)
    if kafka is None and os.environ.get("LAPOR_TEST_USE_DOCKER", "1") == "1" and _docker_answers():
        return _start_containers()
    stack = ExitStack()
    kafka = kafka or EmbeddedKafka(log_path=work_dir / "kafka.log").start()
    stack.callback(kafka.stop)
    # The server runs as an unprivileged user when we are root: its folder must not sit under
    # pytest's private (0700) temporary tree.
    pg_dir = Path(tempfile.mkdtemp(prefix="lapor-test-pg-"))
    pg_dir.chmod(0o755)
    postgres = EmbeddedPostgres(pg_dir / "data").start()
    stack.callback(postgres.stop)
    asyncio.run(provision_topics(kafka.bootstrap_servers))
    return Infrastructure("embedded", kafka.bootstrap_servers, postgres.url, postgres, kafka, stack)


def _start_containers() -> Infrastructure:  # pragma: no cover - no Docker engine on our machines
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    stack = ExitStack()
    kafka = stack.enter_context(KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft())
    postgres = stack.enter_context(PostgresContainer("postgres:16-alpine", driver=None))
    bootstrap = kafka.get_bootstrap_server()
    asyncio.run(provision_topics(bootstrap))
    return Infrastructure("testcontainers", bootstrap, postgres.get_connection_url(), None, None, stack)
