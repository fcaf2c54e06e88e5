"""Routing on the in-memory broker with a real PostgreSQL: publish events and commands, read what it emitted.

``routing`` starts the service (migrations, seed registry, snapshot) on a fresh database and collects
everything it publishes (the shared ``ServiceHarness``): the complaint stream, every topic of the
jurisdiction tree (the shared topics and the agencies' and triage desks' streams: one pattern
subscription, as the nation's monitor would) and the registry topic. ``await routing.settle()``
returns once the outbox is empty, so every event of the commands sent so far has been recorded.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import asyncpg
import pytest

from lapor_routing.app import build
from lapor_routing.settings import RoutingSettings
from lapor_shared.events import Envelope, Payload
from lapor_shared.events.values import NATIONAL_CODE
from lapor_shared.runtime import Runtime
from lapor_shared.testing.factories import accepted_envelope, complaint_accepted, envelope
from lapor_shared.testing.infra import Infrastructure
from lapor_shared.testing.service import Published, ServiceHarness
from lapor_shared.topics import (
    ADMIN_COMMANDS,
    COMPLAINTS,
    JURISDICTION_PREFIX,
    REGISTRY_COMMANDS,
    is_shared_jurisdiction_topic,
    sender_kind,
)

JURISDICTION_TREE = re.escape(f"{JURISDICTION_PREFIX}.") + ".+"


class RoutingHarness(ServiceHarness):
    """Routing with everything it publishes recorded: the complaint stream, every topic of the jurisdiction
    tree and the registry topic."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime, watch=[COMPLAINTS.name, REGISTRY_COMMANDS.name], patterns=[JURISDICTION_TREE])

    # --- sending ----------------------------------------------------------------------------------

    async def accept(self, payload: Any = None, **fields: Any) -> Envelope[Any]:
        """A complaint accepted by intake, as it arrives on lapor.complaints (payload fields or a payload)."""
        accepted = accepted_envelope(payload if payload is not None else complaint_accepted(**fields))
        await self.publish(accepted, topic=COMPLAINTS.name)
        await self.settle()
        return accepted

    async def send(self, command: Payload, *, topic: str | None = None, **envelope_fields: Any) -> Envelope[Any]:
        """A command on its sender's topic (the agency's, the scope's, the registry's), in the common envelope;
        an admin command naming no scope on the nation's admin topic. ``topic``: another one."""
        envelope_fields.setdefault("producer", "tests")
        sent = envelope(command, **envelope_fields)
        if topic is None and sender_kind(sent.event_type) == "admin" and getattr(command, "scope", None) is None:
            topic = ADMIN_COMMANDS.topic(NATIONAL_CODE)
        await self.publish(sent, topic=topic)
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

    def jurisdiction_messages(self, *, shared_only: bool = False) -> list[Published]:
        """What reached the jurisdiction tree: every topic, or only the shared ones (not the streams)."""
        return [p for p in self.published if p.topic.startswith(f"{JURISDICTION_PREFIX}.")
                and (not shared_only or is_shared_jurisdiction_topic(p.topic))]


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
