"""Routing's read-only HTTP endpoints: the taxonomy, the registry and the triage queue."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from lapor_routing import api
from lapor_routing.app import compose
from lapor_routing.settings import RoutingSettings
from lapor_shared.events import encode
from lapor_shared.testing.factories import accepted_envelope, complaint_accepted, location
from lapor_shared.testing.service import in_memory
from lapor_shared.topics import COMPLAINTS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def call(app: Any, query: str = "") -> tuple[int, Any]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "http", "method": "GET", "path": "/", "query_string": query.encode(), "headers": []},
              receive, send)
    return sent[0]["status"], json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


async def test_the_endpoints_list_categories_agencies_and_the_triage_queue_without_content(database_url):
    runtime, routing = compose(RoutingSettings(database_url=database_url))
    endpoints = dict(api.routes(runtime, routing))
    secret = "Nama saya Budi, rumah saya di gang buntu"
    async with in_memory(runtime) as broker:
        waiting = accepted_envelope(complaint_accepted(
            location=location(region_code=None, text="Bandung", latitude=None, longitude=None), description=secret,
            confidential=True,
        ))
        await broker.publish(encode(waiting), topic=COMPLAINTS.name)

        status, categories = await call(endpoints["/categories"])
        assert status == 200 and "kesehatan" in {c["code"] for c in categories}

        status, body = await call(endpoints["/agencies"], "jurisdiction=18.71&active=true")
        assert status == 200
        assert {a["agency_id"] for a in body["agencies"]} >= {"umum.18.71", "dinkes.18.71", "pu.18.71"}
        assert {a["jurisdiction_code"] for a in body["agencies"]} == {"18.71"}

        status, body = await call(endpoints["/triage"], "jurisdiction=32")
        assert status == 200
        assert [w["tracking_number"] for w in body["waiting"]] == [waiting.tracking_number]
        assert body["waiting"][0]["reason_code"] == "location_ambiguous"
        assert secret not in json.dumps(body)
        status, body = await call(endpoints["/triage"], "jurisdiction=18")
        assert body == {"waiting": []}


async def test_an_unknown_or_hostile_jurisdiction_is_404_with_a_reason_not_an_empty_list(database_url):
    runtime, routing = compose(RoutingSettings(database_url=database_url))
    endpoints = dict(api.routes(runtime, routing))
    async with in_memory(runtime):
        for path in ("/agencies", "/triage"):
            for value in ("99.99", "../../etc/passwd", "18' OR '1'='1"):
                status, body = await call(endpoints[path], "jurisdiction=" + quote(value))
                assert status == 404, (path, value)
                assert body["reasons"][0]["code"] == "unknown_jurisdiction"
