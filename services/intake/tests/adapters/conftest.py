"""The channel adapters mounted on intake, on the in-memory broker with a real PostgreSQL, driven
over HTTP through the service's own ASGI app."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from faststream.kafka import KafkaBroker

from lapor_intake.adapters.mount import adapter_routes
from lapor_intake.adapters.settings import AdapterSettings
from lapor_intake.app import build_runtime
from lapor_intake.settings import IntakeSettings
from lapor_shared.events import Envelope, Payload, encode
from lapor_shared.runtime import Runtime
from lapor_shared.settings import HttpSettings
from lapor_shared.testing.service import in_memory
from lapor_shared.topics import COMPLAINTS, SUBMISSIONS

SMS_SECRET = "test-sms-secret"
OPEN311_KEY = "test-open311-key"

_numbers = itertools.count(random.randrange(10_000_000, 80_000_000))


def unique_phone() -> str:
    """A valid Indonesian mobile number no other call returns (rate limits count per reporter)."""
    return f"+62812{next(_numbers):08d}"


def unique_email() -> str:
    return f"warga{next(_numbers)}@example.org"


def complaint_body(**overrides: Any) -> dict[str, Any]:
    """A submission as a web or mobile client posts it to /api/v1/complaints."""
    body: dict[str, Any] = {
        "report_type": "pengaduan",
        "title": "Jalan berlubang di depan sekolah",
        "description": "Jalan di depan SD Negeri 2 berlubang sejak bulan lalu dan membahayakan anak-anak.",
        "incident_date": "2025-03-03",
        "location": {"region_code": "18.71", "text": "Jl. Teuku Umar, depan SD Negeri 2"},
        "category_hint": "jalan",
        "reporter": {"name": "Warga Contoh", "phone": unique_phone(), "email": unique_email()},
    }
    body.update(overrides)
    return body


@dataclass
class Adapters:
    runtime: Runtime
    broker: KafkaBroker
    http: httpx.AsyncClient
    submissions: list[bytes] = field(default_factory=list)

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        return await self.runtime.pool.fetch(query, *args)

    async def count(self, query: str, *args: Any) -> int:
        return int(await self.runtime.pool.fetchval(query, *args))

    async def until(self, predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
        """Wait until ``predicate()`` (sync or async) is truthy, waking the relay; fail when it never is."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            if self.runtime.relay is not None:
                self.runtime.relay.backlog_hint()
            await asyncio.sleep(0.05)

    async def lifecycle(self, payload: Payload, *, complaint_id: UUID, tracking_number: str,
                        jurisdiction_code: str | None = "18.71") -> None:
        """Publish a lifecycle event on lapor.complaints, as routing or followup would."""
        envelope = Envelope.new(payload, producer="followup", complaint_id=complaint_id,
                                tracking_number=tracking_number, jurisdiction_code=jurisdiction_code)
        await self.broker.publish(encode(envelope), topic=COMPLAINTS.name, key=str(complaint_id).encode())

    async def view_status(self, tracking_number: str) -> str | None:
        return await self.runtime.pool.fetchval(
            "SELECT lifecycle_status FROM adapter_complaint_view WHERE tracking_number = $1", tracking_number
        )


@pytest.fixture
def adapters(database_url: str) -> Callable[..., AbstractAsyncContextManager[Adapters]]:
    """``async with adapters(wait_s=0) as a:`` intake with its adapters, those adapter settings overridden;
    ``setup=fn`` is called with the runtime before it starts (to add subscribers); ``http={…}`` sets HTTP
    limits (``HttpSettings``)."""

    @asynccontextmanager
    async def start(setup: Callable[[Runtime], None] | None = None, http: dict[str, Any] | None = None,
                    **overrides: Any) -> AsyncIterator[Adapters]:
        adapter_settings = AdapterSettings(**{
            "sms_webhook_secret": SMS_SECRET, "open311_api_keys": f"civic-app:{OPEN311_KEY}", "sweep_interval_s": 0.5,
            **overrides,
        })
        runtime = build_runtime(IntakeSettings(database_url=database_url, adapters=adapter_settings,
                                               http=HttpSettings(**(http or {}))))
        published: list[bytes] = []

        @runtime.broker.subscriber(SUBMISSIONS.name, group_id="test-submissions-seen")
        async def seen(body: bytes) -> None:
            published.append(body)

        if setup is not None:
            setup(runtime)
        app = runtime.asgi_app(title="LAPOR! intake (test)", routes=adapter_routes(runtime))
        async with in_memory(runtime) as broker:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as http:
                yield Adapters(runtime, broker, http, published)

    return start
