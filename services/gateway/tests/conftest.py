"""The gateway on the in-memory broker with a real PostgreSQL, driven over HTTP through its own ASGI app.

Intake's answers come from intake itself: its runtime runs beside the gateway's on the same database,
each on its own in-memory broker, and the two brokers are wired by the topics they share
(``lapor.submissions`` one way, ``lapor.submissions.results`` and ``lapor.complaints`` the other), as
in production. The gateway's own code never sees intake's; only these tests start both.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from lapor_gateway.app import build
from lapor_gateway.settings import AdapterSettings, GatewaySettings
from lapor_intake.app import build as build_intake
from lapor_intake.settings import IntakeSettings
from lapor_shared import tracking
from lapor_shared.events import Envelope, Payload, encode
from lapor_shared.evidence import EvidenceSettings
from lapor_shared.runtime import Runtime
from lapor_shared.settings import HttpSettings
from lapor_shared.testing.service import in_memory
from lapor_shared.topics import COMPLAINTS, SUBMISSION_RESULTS, SUBMISSIONS, key_of

SMS_SECRET = "test-sms-secret"
OPEN311_KEY = "test-open311-key"

_numbers = itertools.count(random.randrange(10_000_000, 80_000_000))


def unique_phone() -> str:
    """A valid Indonesian mobile number no other call returns (rate limits count per reporter)."""
    return f"+62812{next(_numbers):08d}"


def unique_email() -> str:
    return f"warga{next(_numbers)}@example.org"


def valid_tracking_number() -> str:
    """A tracking number in the platform's format, with a valid check symbol (as intake would give one)."""
    return tracking.format_value(random.randrange(2**40))


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
    intake: Runtime | None = None
    evidence: Any = None
    """The gateway's ``GatewayEvidence`` (its store, upload helper and link signer)."""

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
            for runtime in (self.runtime, self.intake):
                if runtime is not None and runtime.relay is not None:
                    runtime.relay.backlog_hint()
            await asyncio.sleep(0.05)

    async def lifecycle(self, payload: Payload, *, complaint_id: UUID, tracking_number: str,
                        jurisdiction_code: str | None = "18.71") -> None:
        """Publish a lifecycle event on lapor.complaints, as routing or followup would."""
        envelope = Envelope.new(payload, producer="followup", complaint_id=complaint_id,
                                tracking_number=tracking_number, jurisdiction_code=jurisdiction_code)
        await self.broker.publish(encode(envelope), topic=COMPLAINTS.name, key=str(complaint_id).encode())

    async def answer(self, envelope: Envelope[Any]) -> None:
        """Publish an answer on lapor.submissions.results, as intake would."""
        await self.broker.publish(encode(envelope), topic=SUBMISSION_RESULTS.name,
                                  key=key_of(envelope, SUBMISSION_RESULTS.name))

    async def view_status(self, tracking_number: str) -> str | None:
        """The public view's status once the complaint's content (``complaint.accepted``) reached it."""
        return await self.runtime.pool.fetchval(
            "SELECT lifecycle_status FROM complaint_view WHERE tracking_number = $1 AND requested_at IS NOT NULL",
            tracking_number,
        )

    async def complaint_id(self, tracking_number: str) -> UUID:
        """The complaint id intake gave the complaint, as the gateway learnt it with the answer."""
        return await self.runtime.pool.fetchval(
            "SELECT complaint_id FROM answers WHERE tracking_number = $1", tracking_number
        )


def wire(source: KafkaBroker, target: KafkaBroker, topic: str) -> None:
    """Every message ``source`` carries on ``topic`` is delivered on ``target`` too (key and headers kept)."""

    @source.subscriber(topic, group_id=f"test-wire-{topic}")
    async def forward(body: bytes, msg: KafkaMessage) -> None:
        raw = msg.raw_message
        headers = {k: (v or b"").decode("utf-8", "replace") for k, v in raw.headers}
        await target.publish(body, topic=topic, key=raw.key or None, headers=headers)


@pytest.fixture
def adapters(database_url: str, tmp_path: Any) -> Callable[..., AbstractAsyncContextManager[Adapters]]:
    """``async with adapters(wait_s=0) as a:`` the gateway, those channel settings overridden, with intake
    answering behind Kafka (``intake=False``: nobody answers but the test). ``setup=fn`` is called with
    the gateway's runtime before it starts (to add subscribers); ``http={…}`` sets HTTP limits
    (``HttpSettings``); ``url=`` connects the gateway to another database URL (another role);
    ``evidence={…}`` sets ``EvidenceSettings`` (the local store is in the test's own directory)."""

    @asynccontextmanager
    async def start(setup: Callable[[Runtime], None] | None = None, http: dict[str, Any] | None = None,
                    intake: bool = True, url: str | None = None, evidence: dict[str, Any] | None = None,
                    **overrides: Any) -> AsyncIterator[Adapters]:
        adapter_settings = AdapterSettings(**{
            "sms_webhook_secret": SMS_SECRET, "open311_api_keys": f"civic-app:{OPEN311_KEY}", "recheck_s": 0.5,
            **overrides,
        })
        gateway = build(GatewaySettings(database_url=url or database_url, adapters=adapter_settings,
                                        http=HttpSettings(**(http or {})),
                                        evidence=EvidenceSettings(**{"local_dir": str(tmp_path / "evidence"),
                                                                     **(evidence or {})})))
        runtime = gateway.runtime
        published: list[bytes] = []

        @runtime.broker.subscriber(SUBMISSIONS.name, group_id="test-submissions-seen")
        async def seen(body: bytes) -> None:
            published.append(body)

        if setup is not None:
            setup(runtime)
        app = gateway.asgi_app()
        intake_runtime = build_intake(IntakeSettings(database_url=database_url)).runtime if intake else None
        if intake_runtime is not None:
            wire(runtime.broker, intake_runtime.broker, SUBMISSIONS.name)
            for topic in (SUBMISSION_RESULTS.name, COMPLAINTS.name):
                wire(intake_runtime.broker, runtime.broker, topic)
        async with AsyncExitStack() as stack:  # intake stops first: its relay never outlives the gateway
            broker = await stack.enter_async_context(in_memory(runtime))
            if intake_runtime is not None:
                await stack.enter_async_context(in_memory(intake_runtime))
            transport = httpx.ASGITransport(app=app)
            http_client = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://gateway.test"))
            yield Adapters(runtime, broker, http_client, published, intake_runtime, gateway.channels.evidence)

    return start
