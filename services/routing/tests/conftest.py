"""Routing on the in-memory broker with a real PostgreSQL: publish events and commands, read what it emitted.

``routing`` starts the service (migrations, seed registry, snapshot) on a fresh database and collects
everything it publishes (the shared ``ServiceHarness``): the complaint stream, every jurisdiction topic
(one pattern subscription, as the nation would) and the registry topic. ``await routing.settle()``
returns once the outbox is empty, so every event of the commands sent so far has been recorded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import asyncpg
import pytest

from lapor_routing.app import build
from lapor_routing.settings import RoutingSettings
from lapor_shared.events import Envelope, Payload
from lapor_shared.runtime import Runtime
from lapor_shared.testing.factories import accepted_envelope, complaint_accepted, envelope
from lapor_shared.testing.infra import Infrastructure
from lapor_shared.testing.service import Published, ServiceHarness
from lapor_shared.topics import (
    COMPLAINTS,
    REGISTRY_COMMANDS,
    jurisdiction_pattern,
)


class RoutingHarness(ServiceHarness):
    """Routing with everything it publishes recorded: the complaint stream, every jurisdiction topic (one
    pattern subscription, as the nation would) and the registry topic."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime, watch=[COMPLAINTS.name, REGISTRY_COMMANDS.name],
                         patterns=[jurisdiction_pattern("ID")])

    # --- sending ----------------------------------------------------------------------------------

    async def accept(self, payload: Any = None, **fields: Any) -> Envelope[Any]:
        """A complaint accepted by intake, as it arrives on lapor.complaints (payload fields or a payload)."""
        accepted = accepted_envelope(payload if payload is not None else complaint_accepted(**fields))
        await self.publish(accepted, topic=COMPLAINTS.name)
        await self.settle()
        return accepted

    async def send(self, command: Payload, **envelope_fields: Any) -> Envelope[Any]:
        """A command on its topic (agency, admin or registry), in the common envelope."""
        envelope_fields.setdefault("producer", "tests")
        sent = envelope(command, **envelope_fields)
        await self.publish(sent)
        await self.settle()
        return sent

    # --- reading ----------------------------------------------------------------------------------

    def about(self, complaint_id: UUID | None, event_type: str | None = None, *, topic: str = COMPLAINTS.name
              ) -> list[Envelope[Any]]:
        """Events about one complaint on ``topic`` (the complaint stream by default), oldest first."""
        return [e for e in self.on(topic, event_type) if e.complaint_id == complaint_id]

    def last(self, complaint_id: UUID | None, event_type: str) -> Envelope[Any]:
        found = self.about(complaint_id, event_type)
        assert found, f"no {event_type} for {complaint_id}; got {[e.event_type for e in self.about(complaint_id)]}"
        return found[-1]

    def jurisdiction_messages(self) -> list[Published]:
        return [p for p in self.published if p.topic.startswith("lapor.jurisdiction.")]


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
    async with RoutingHarness(build(routing_settings).runtime) as harness:
        yield harness
