"""The reporter's loop on real infrastructure: intake, routing, followup and the gateway in this process,
each with its own connection to a real Kafka-protocol broker and one real PostgreSQL database, talking
through the broker only. The reporter speaks HTTP and SMS to the gateway; an agency publishes its
commands on the broker, as an agency's system does.

One loop serves a whole test module (starting four services takes seconds); each test files its own
complaints with fresh phone numbers, so the tests do not see each other's.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest

from lapor_followup.app import build as build_followup
from lapor_followup.settings import FollowupSettings
from lapor_gateway.app import Gateway
from lapor_gateway.app import build as build_gateway
from lapor_gateway.contract import normalise_phone
from lapor_gateway.settings import AdapterSettings, GatewaySettings
from lapor_intake.app import build as build_intake
from lapor_intake.settings import IntakeSettings
from lapor_routing.app import build as build_routing
from lapor_routing.settings import RoutingSettings
from lapor_shared.events import Envelope, Payload
from lapor_shared.events.commands import ResolveComplaint, RespondToComplaint
from lapor_shared.evidence import EvidenceSettings
from lapor_shared.settings import HttpSettings, RateLimit
from lapor_shared.testing.infra import Infrastructure
from lapor_shared.testing.kafka_io import publish, read_every_topic, wait_for
from lapor_shared.testing.platform import QUICK_GROUP_SETTINGS
from lapor_shared.topics import destinations

SMS_SECRET = "reporter-loop-sms-secret"
GENEROUS = HttpSettings(rate_lookup=RateLimit(per_minute=6000, burst=1000),
                        rate_submit=RateLimit(per_minute=6000, burst=1000),
                        rate_gateway=RateLimit(per_minute=6000, burst=1000))
"""The loop's tests make many requests from one address; the rate limits have tests of their own."""

_numbers = itertools.count(random.randrange(10_000_000, 80_000_000))


def unique_phone() -> str:
    return f"+62813{next(_numbers):08d}"


def complaint(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Jalan berlubang di depan SD Negeri 2",
        "description": "Jalan di depan SD Negeri 2 berlubang sejak bulan lalu dan membahayakan anak-anak.",
        "location": {"region_code": "18.71", "text": "Jl. Teuku Umar"},
        "category_hint": "jalan",
        "reporter": {"name": "Warga Pelapor", "phone": unique_phone()},
    }
    body.update(overrides)
    return body


@dataclass(frozen=True)
class Filed:
    tracking_number: str
    key: str
    complaint_id: UUID
    phone: str | None


@dataclass
class Loop:
    bootstrap: str
    database_url: str
    http: httpx.AsyncClient
    gateway: Gateway
    pool: asyncpg.Pool

    async def file(self, **overrides: Any) -> Filed:
        """A complaint filed over the API; its number, the reporter's key, and its complaint id."""
        body = complaint(**overrides)
        created = await self.http.post("/api/v1/complaints", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
        assert created.status_code == 201, created.text
        answer = created.json()
        complaint_id = await self.pool.fetchval("SELECT complaint_id FROM gateway.reporter_keys"
                                                " WHERE tracking_number = $1", answer["tracking_number"])
        return Filed(answer["tracking_number"], answer["reporter_key"], complaint_id,
                     (body.get("reporter") or {}).get("phone"))

    async def responsible(self, filed: Filed) -> str:
        """The agency routing made responsible for ``filed`` (once followup opened the case)."""
        async def known() -> str | None:
            return await self.pool.fetchval("SELECT agency_id FROM followup.complaints WHERE complaint_id = $1",
                                            filed.complaint_id)

        agency_id = await wait_for(known, timeout=30, interval=0.1)
        assert agency_id, "followup never opened the case"
        return agency_id

    async def respond(self, filed: Filed, text: str, **fields: Any) -> None:
        await self.agency(filed, RespondToComplaint(agency_id=await self.responsible(filed), text=text, **fields))

    async def resolve(self, filed: Filed) -> None:
        await self.agency(filed, ResolveComplaint(agency_id=await self.responsible(filed)))

    async def agency(self, filed: Filed, payload: Payload) -> None:
        """An agency's command about ``filed``, published where the catalogue says agencies publish it."""
        envelope = Envelope.new(payload, producer="agency-app", complaint_id=filed.complaint_id,
                                tracking_number=filed.tracking_number)
        for topic in destinations(envelope):
            await publish(self.bootstrap, topic, [envelope])

    async def followup(self, filed: Filed) -> asyncpg.Record | None:
        """Followup's own record of the complaint (its state, its rating)."""
        return await self.pool.fetchrow("SELECT status, rating, close_reason FROM followup.complaints"
                                        " WHERE complaint_id = $1", filed.complaint_id)

    async def followup_reaches(self, filed: Filed, status: str, timeout: float = 30.0) -> asyncpg.Record:
        async def reached() -> asyncpg.Record | None:
            row = await self.followup(filed)
            return row if row is not None and row["status"] == status else None

        row = await wait_for(reached, timeout=timeout, interval=0.1)
        assert row is not None, f"followup never reached {status!r}: {await self.followup(filed)}"
        return row

    async def timeline(self, filed: Filed, key: str | None = None) -> httpx.Response:
        return await self.http.get(f"/api/v1/complaints/{filed.tracking_number}/timeline",
                                   headers={"Authorization": f"Bearer {key or filed.key}"})

    async def gateway_sees(self, filed: Filed, status: str, timeout: float = 30.0, *,
                           having: Callable[[dict[str, Any]], Any] = lambda view: True) -> dict[str, Any]:
        """The reporter's view once the gateway projected ``status`` (and the view is ``having``)."""
        async def seen() -> dict[str, Any] | None:
            view = (await self.timeline(filed)).json()
            return view if view.get("status") == status and having(view) else None

        view = await wait_for(seen, timeout=timeout, interval=0.1)
        assert view, f"the gateway never showed {status!r}: {(await self.timeline(filed)).json()}"
        return view

    async def sms(self, phone: str, text: str, message_id: str | None = None) -> httpx.Response:
        return await self.http.post("/sms/inbound", headers={"X-Lapor-Sms-Secret": SMS_SECRET}, data={
            "from": phone, "text": text, "message_id": message_id or f"sms-{uuid.uuid4().hex}"})

    async def sms_to(self, phone: str) -> list[dict[str, Any]]:
        """Every SMS reply queued for ``phone`` (as typed or in E.164) so far, oldest first."""
        outbox = await self.http.get("/sms/outbox", params={"limit": 500},
                                     headers={"X-Lapor-Sms-Secret": SMS_SECRET})
        return [m for m in outbox.json()["messages"] if m["to"] == normalise_phone(phone)]

    async def sms_reply(self, phone: str, kind: str, in_reply_to: str, timeout: float = 30.0) -> str:
        async def queued() -> str | None:
            found = [m["body"] for m in await self.sms_to(phone)
                     if m["kind"] == kind and m["in_reply_to"] == in_reply_to]
            return found[0] if found else None

        body = await wait_for(queued, timeout=timeout, interval=0.1)
        assert body, f"no {kind} reply to {in_reply_to}: {await self.sms_to(phone)}"
        return body

    async def everything_on(self, *topics: str, pattern: str | None = None) -> bytes:
        """Every byte on these topics (or on every topic whose name matches ``pattern``): keys, headers and
        values, read from the beginning to the end there is now."""
        every = await read_every_topic(self.bootstrap)
        chosen = [t for t in every if t in topics or (pattern is not None and re.fullmatch(pattern, t))]
        return b"\n".join(record for topic in chosen for record in every[topic])


@pytest.fixture(scope="module")
async def loop(infra: Infrastructure, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Loop]:
    # a broker of the module's own (provisioned with asyncio.run, so off this loop's thread)
    bootstrap, broker = await asyncio.to_thread(infra.new_kafka, tmp_path_factory.mktemp("kafka"))
    database_url = await infra.new_database()
    common = dict(database_url=database_url, kafka_bootstrap_servers=bootstrap, http=GENEROUS, **QUICK_GROUP_SETTINGS)
    intake = build_intake(IntakeSettings(**common))
    routing = build_routing(RoutingSettings(**common))
    followup = build_followup(FollowupSettings(**common))
    gateway = build_gateway(GatewaySettings(**common, adapters=AdapterSettings(sms_webhook_secret=SMS_SECRET,
                                                                               wait_s=15),
                                            evidence=EvidenceSettings(local_dir=str(tmp_path_factory.mktemp("ev")))))
    try:
        async with (intake.runtime.running(), routing.runtime.running(), followup.runtime.running(),
                    gateway.runtime.running()):
            transport = httpx.ASGITransport(app=gateway.asgi_app())
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test", timeout=60) as http:
                pool = await asyncpg.create_pool(database_url, min_size=1, max_size=3)
                try:
                    for service in (intake, routing, followup, gateway):
                        ready = await wait_for(lambda s=service: _ready(s.runtime), timeout=60)
                        assert ready, f"{service.runtime.name} is not ready"
                    yield Loop(bootstrap, database_url, http, gateway, pool)
                finally:
                    await pool.close()
    finally:
        if broker is not None:
            broker.stop()


async def _ready(runtime: Any) -> bool:
    return all((await runtime.ready()).values())


@pytest.fixture(autouse=True)
def _no_cookie_from_another_test(request: pytest.FixtureRequest) -> None:
    """The module's one client keeps cookies (the language choice): each test starts without them."""
    if "loop" in request.fixturenames:
        request.getfixturevalue("loop").http.cookies.clear()
