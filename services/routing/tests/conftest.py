"""Routing on the in-memory broker with a real PostgreSQL: publish events and commands, read what it emitted.

``routing`` starts the service (migrations, seed registry, snapshot) on a fresh database and collects
everything it publishes: the complaint stream, every jurisdiction topic (one pattern subscription, as
the nation would) and the registry topic. ``await routing.settle()`` returns once the outbox is empty,
so every event of the commands sent so far has been delivered to the collectors.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import asyncpg
import pytest
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from lapor_routing.app import build_runtime
from lapor_routing.settings import RoutingSettings
from lapor_shared.events import Envelope, Payload, decode, encode
from lapor_shared.runtime import Runtime
from lapor_shared.testing.factories import accepted_envelope, complaint_accepted, envelope
from lapor_shared.testing.infra import Infrastructure
from lapor_shared.testing.service import in_memory
from lapor_shared.topics import (
    ADMIN_COMMANDS,
    AGENCY_COMMANDS,
    COMPLAINTS,
    REGISTRY_COMMANDS,
    jurisdiction_pattern,
)


@dataclass
class Published:
    topic: str
    body: bytes
    envelope: Envelope[Any]


@dataclass
class RoutingHarness:
    runtime: Runtime
    broker: KafkaBroker
    database_url: str
    published: list[Published] = field(default_factory=list)

    # --- sending ----------------------------------------------------------------------------------

    async def accept(self, payload: Any = None, **fields: Any) -> Envelope[Any]:
        """A complaint accepted by intake, as it arrives on lapor.complaints (payload fields or a payload)."""
        accepted = accepted_envelope(payload if payload is not None else complaint_accepted(**fields))
        await self.broker.publish(encode(accepted), topic=COMPLAINTS.name)
        await self.settle()
        return accepted

    async def send(self, command: Payload, **envelope_fields: Any) -> Envelope[Any]:
        """A command on its topic (agency, admin or registry), in the common envelope."""
        topic = {
            "agency": AGENCY_COMMANDS.name, "admin": ADMIN_COMMANDS.name, "registry": REGISTRY_COMMANDS.name,
        }[command.event_type.split(".", 1)[0]]
        envelope_fields.setdefault("producer", "tests")
        sent = envelope(command, **envelope_fields)
        await self.broker.publish(encode(sent), topic=topic)
        await self.settle()
        return sent

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until routing's outbox has nothing left to publish."""
        assert self.runtime.relay is not None
        conn = await asyncpg.connect(self.database_url)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    self.runtime.relay.backlog_hint()
                    if not await conn.fetchval("SELECT count(*) FROM routing.outbox WHERE published_at IS NULL"):
                        return
                    await asyncio.sleep(0.01)
        finally:
            await conn.close()

    # --- reading ----------------------------------------------------------------------------------

    def on(self, topic: str) -> list[Envelope[Any]]:
        return [p.envelope for p in self.published if p.topic == topic]

    def about(self, complaint_id: UUID | None, event_type: str | None = None, *, topic: str = COMPLAINTS.name
              ) -> list[Envelope[Any]]:
        """Events about one complaint on ``topic`` (the complaint stream by default), oldest first."""
        return [
            e for e in self.on(topic)
            if e.complaint_id == complaint_id and (event_type is None or e.event_type == event_type)
        ]

    def last(self, complaint_id: UUID | None, event_type: str) -> Envelope[Any]:
        found = self.about(complaint_id, event_type)
        assert found, f"no {event_type} for {complaint_id}; got {[e.event_type for e in self.about(complaint_id)]}"
        return found[-1]

    def jurisdiction_messages(self) -> list[Published]:
        return [p for p in self.published if p.topic.startswith("lapor.jurisdiction.")]

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()


def collect(runtime: Runtime, published: list[Published]) -> None:
    """Collectors for everything routing publishes (added before the broker starts)."""

    async def keep(body: bytes, msg: KafkaMessage) -> None:
        published.append(Published(msg.raw_message.topic, body, decode(body)))

    runtime.broker.subscriber(COMPLAINTS.name, group_id="test-complaints")(keep)
    runtime.broker.subscriber(REGISTRY_COMMANDS.name, group_id="test-registry")(keep)
    runtime.broker.subscriber(pattern=jurisdiction_pattern("ID"), group_id="test-nation")(keep)


@pytest.fixture
async def database_url(infra: Infrastructure) -> AsyncIterator[str]:
    """A fresh database for this test, dropped afterwards: the seed makes each one worth keeping small, and
    the embedded server's data folder (deleted at the end of the session) stays small too."""
    url = await infra.new_database()
    yield url
    conn = await asyncpg.connect(infra.database_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
def routing_settings(database_url: str) -> RoutingSettings:
    return RoutingSettings(database_url=database_url)


@pytest.fixture
async def routing(routing_settings: RoutingSettings) -> AsyncIterator[RoutingHarness]:
    runtime = build_runtime(routing_settings)
    published: list[Published] = []
    collect(runtime, published)
    async with in_memory(runtime) as broker:
        yield RoutingHarness(runtime, broker, routing_settings.database_url, published)
