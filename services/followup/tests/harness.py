"""Followup's test harness: the service on the in-memory broker with a real PostgreSQL and a clock the
test moves.

``running`` starts the service (subscribers, outbox relay, timer poller) with a ``ManualClock``; the
poller's own loop waits an hour between rounds, so timers fire when a test calls ``FollowupHarness.tick``.
What the service published is read back from its outbox (exactly what the relay sends to Kafka), so a
service started again on the same database still sees what its predecessor published.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from lapor_followup.app import Followup, build
from lapor_followup.settings import FollowupSettings
from lapor_shared.db import Conn
from lapor_shared.events import Envelope, Payload, decode
from lapor_shared.events.values import NATIONAL_CODE, AgencyLevel, AgencyRef
from lapor_shared.regions import all_regions
from lapor_shared.testing.clock import ManualClock
from lapor_shared.testing.factories import agency_ref, complaint_routed, envelope, routed_envelope
from lapor_shared.testing.service import ServiceHarness
from lapor_shared.topics import ADMIN_COMMANDS, AGENCY_COMMANDS, COMPLAINTS, REPORTER_COMMANDS

WIB = ZoneInfo("Asia/Jakarta")
START = datetime(2025, 7, 7, 10, 0, tzinfo=WIB)
"""Monday 7 July 2025, 10:00 WIB: no holiday for weeks on either side."""

TOKENS = {"umum.18.71": "token-bandar-lampung", "umum.18.01": "token-lampung-selatan", "umum.18": "token-lampung"}


def office(code: str) -> AgencyRef:
    """The general office of a region as routing names it (umum.<code>)."""
    region = all_regions()[code]
    level = AgencyLevel.PROVINCE if region.level == "province" else AgencyLevel.REGENCY
    return agency_ref(agency_id=f"umum.{code}", name=f"Unit Pengaduan {region.name}", level=level,
                      jurisdiction_code=code)


class FollowupHarness(ServiceHarness):
    def __init__(self, service: Followup, clock: ManualClock, conn: Conn, app: Any) -> None:
        super().__init__(service.runtime)
        self.service = service
        self.clock = clock
        self.conn = conn
        """A connection of the test's own, beside the service's pools."""
        self.app = app
        """The service's HTTP app (``Followup.asgi_app``), the same routes uvicorn serves."""

    async def route(self, region: str = "18.71", *, at: datetime | None = None, **fields: Any) -> Envelope[Any]:
        """Routing sends a new complaint to ``region``'s general office at ``at`` (default: now)."""
        fields.setdefault("agency", office(region))
        routed = routed_envelope(complaint_routed(**fields), occurred_at=at or self.clock.now())
        await self.deliver(routed, COMPLAINTS.name)
        return routed

    async def deliver(self, message: Envelope[Any], topic: str) -> None:
        await self.publish(message, topic=topic)

    async def command(self, complaint: Envelope[Any] | None, payload: Payload, *, topic: str | None = None,
                      **envelope_fields: Any) -> Envelope[Any]:
        """An agency, reporter or admin command about ``complaint``, on its sender's topic (the agency's it
        names, the scope's it names or else the nation's admins', the reporters'), or on ``topic``."""
        if complaint is not None:
            envelope_fields.setdefault("complaint_id", complaint.complaint_id)
            envelope_fields.setdefault("tracking_number", complaint.tracking_number)
        if topic is None:
            topic = {
                "agency": lambda: AGENCY_COMMANDS.topic(payload.agency_id),  # type: ignore[attr-defined]
                "admin": lambda: ADMIN_COMMANDS.topic(getattr(payload, "scope", None) or NATIONAL_CODE),
                "reporter": lambda: REPORTER_COMMANDS.name,
            }[payload.event_type.split(".")[0]]()
        message = envelope(payload, producer="test-client", occurred_at=self.clock.now(), **envelope_fields)
        await self.deliver(message, topic)
        return message

    async def tick(self, to: datetime) -> int:
        """Move the clock to ``to`` and let the poller fire everything due."""
        self.clock.set(to)
        fired = 0
        while n := await self.service.poller.run_once():
            fired += n
        return fired

    async def events(
        self, complaint: Envelope[Any] | None = None, event_type: str | None = None
    ) -> list[Envelope[Any]]:
        """What followup published on the complaint stream, in order."""
        rows = await self.conn.fetch(
            "SELECT payload FROM followup.outbox WHERE topic = $1 ORDER BY id", COMPLAINTS.name
        )
        found = [decode(bytes(r["payload"])) for r in rows]
        return [
            e for e in found
            if (complaint is None or e.complaint_id == complaint.complaint_id)
            and (event_type is None or e.event_type == event_type)
        ]

    async def types(self, complaint: Envelope[Any]) -> list[str]:
        return [e.event_type for e in await self.events(complaint)]

    async def case(self, complaint: Envelope[Any]) -> dict[str, Any]:
        row = await self.conn.fetchrow("SELECT * FROM followup.complaints WHERE complaint_id = $1",
                                       complaint.complaint_id)
        assert row is not None
        return dict(row)

    async def status(self, complaint: Envelope[Any]) -> str:
        return (await self.case(complaint))["status"]

    async def rejections(self, complaint: Envelope[Any] | None = None) -> list[str]:
        return [e.payload.reason.code for e in await self.events(complaint, "complaint.action_rejected")]

    async def http(self, path: str, query: str = "", token: str | None = None) -> tuple[int, Any]:
        """A GET through the service's ASGI app (the same routes uvicorn serves)."""
        return await asgi_get(self.app, path, query, token)


async def asgi_get(app: Callable, path: str, query: str = "", token: str | None = None) -> tuple[int, Any]:
    headers = [(b"host", b"test")]
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope = {"type": "http", "method": "GET", "path": path, "query_string": query.encode(), "headers": headers,
             "http_version": "1.1", "scheme": "http", "server": ("test", 80), "client": ("test", 1), "root_path": ""}
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body) if body else None


def settings_for(database_url: str, **overrides: Any) -> FollowupSettings:
    values: dict[str, Any] = dict(
        database_url=database_url, timer_poll_interval_s=3600.0,
        agency_tokens=",".join(f"{a}={t}" for a, t in TOKENS.items()),
    )
    values.update(overrides)
    return FollowupSettings(**values)


@asynccontextmanager
async def running(database_url: str, clock: ManualClock, **overrides: Any) -> AsyncIterator[FollowupHarness]:
    service = build(settings_for(database_url, **overrides), clock=clock)
    app = service.asgi_app()
    conn = await asyncpg.connect(database_url)
    try:
        async with FollowupHarness(service, clock, conn, app) as harness:
            yield harness
    finally:
        await conn.close()
