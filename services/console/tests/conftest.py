"""The console on the in-memory broker with a real PostgreSQL (the shared ``ServiceHarness``), and the
events of an agency's stream to feed it.

``Case(agency="umum.18.71").routed().deadline(days=5)`` builds the events routing and followup would
publish on that agency's stream; ``await console.tell(case)`` delivers them on the stream.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from lapor_console.app import Console, build
from lapor_console.settings import ConsoleSettings
from lapor_shared.events import Envelope, Payload
from lapor_shared.events.lifecycle import ComplaintAcknowledged, DeadlineSet
from lapor_shared.events.values import AgencyLevel, AgencyRef
from lapor_shared.onboarding import Onboarding
from lapor_shared.testing import factories
from lapor_shared.testing.service import ServiceHarness
from lapor_shared.topics import AGENCY_COMMANDS, agency_stream

PASSWORD = "lapor1708"


def agency(agency_id: str) -> AgencyRef:
    code = Onboarding.load().agency_code(agency_id)
    assert code is not None, agency_id
    level = AgencyLevel.REGENCY if "." in code else AgencyLevel.PROVINCE
    return AgencyRef(agency_id=agency_id, name=f"Instansi {agency_id}", level=level, jurisdiction_code=code)


@dataclass
class Case:
    """The events of one complaint on the stream of the agency answering for it."""

    agency: str = "umum.18.71"
    confidential: bool = False
    anonymous: bool = False
    title: str = "Jalan berlubang di depan sekolah"
    at: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(hours=2))
    events: list[tuple[str, Envelope[Any]]] = field(default_factory=list)

    @property
    def ref(self) -> AgencyRef:
        return agency(self.agency)

    @property
    def tracking_number(self) -> str:
        return self.events[0][1].tracking_number

    @property
    def complaint_id(self) -> Any:
        return self.events[0][1].complaint_id

    def add(self, payload: Payload, *, minutes: float = 1, caused_by: Envelope[Any] | None = None) -> Case:
        self.at += timedelta(minutes=minutes)
        first = self.events[0][1]
        env = factories.envelope(payload, caused_by=caused_by or first, occurred_at=self.at, producer="tests",
                                 complaint_id=first.complaint_id, tracking_number=first.tracking_number,
                                 jurisdiction_code=self.ref.jurisdiction_code, agency_id=self.agency,
                                 confidential=self.confidential)
        self.events.append((agency_stream(self.ref.jurisdiction_code, self.agency), env))
        return self

    def routed(self, **overrides: Any) -> Case:
        payload = factories.complaint_routed(agency=self.ref, anonymous=self.anonymous,
                                             confidential=self.confidential, title=self.title, **overrides)
        env = factories.routed_envelope(payload, occurred_at=self.at)
        self.events.append((agency_stream(self.ref.jurisdiction_code, self.agency), env))
        return self

    def deadline(self, *, hours: float = 120, stage: str = "follow_up") -> Case:
        return self.add(DeadlineSet(stage=stage, agency_id=self.agency, due_at=self.at + timedelta(hours=hours),
                                    working_days=5, policy_version="permenpanrb-62-2018"))

    def acknowledged(self, caused_by: Envelope[Any] | None = None) -> Case:
        return self.add(ComplaintAcknowledged(agency_id=self.agency), caused_by=caused_by)


class ConsoleHarness(ServiceHarness):
    def __init__(self, service: Console) -> None:
        super().__init__(service.runtime, patterns=[AGENCY_COMMANDS.pattern])
        self.settings = service.runtime.settings
        self.app = service.asgi_app()

    async def tell(self, *cases: Case) -> None:
        for case in cases:
            for topic, envelope in case.events:
                await self.publish(envelope, topic=topic)

    async def answer(self, case: Case, payload: Payload, command: Envelope[Any]) -> None:
        """followup's (or routing's) answer to ``command``, on the agency's stream."""
        case.add(payload, caused_by=command)
        await self.publish(case.events[-1][1], topic=case.events[-1][0])

    def commands(self) -> list[Envelope[Any]]:
        return [p.envelope for p in self.published if p.topic.startswith(AGENCY_COMMANDS.prefix + ".")]

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://konsol.test",
                                 follow_redirects=False)

    async def login(self, client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
        response = await client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 303, response.text
        return response


def csrf_of(page: str) -> dict[str, str]:
    """The hidden fields of the first action form of a complaint page."""
    return {"csrf": re.search(r'name="csrf" value="([^"]+)"', page).group(1),
            "nonce": re.search(r'name="nonce" value="([^"]+)"', page).group(1)}


@pytest.fixture
def console(database_url: str) -> Callable[..., AbstractAsyncContextManager[ConsoleHarness]]:
    def start(**overrides: Any) -> ConsoleHarness:
        overrides.setdefault("action_wait_s", 0)
        settings = ConsoleSettings(database_url=database_url, environment="development", **overrides)
        return ConsoleHarness(build(settings))

    return start
