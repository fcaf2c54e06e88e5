"""Routing's read-only HTTP endpoints: the taxonomy, the registry and the triage queue (the admins' only)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

import httpx
import pytest
from faststream.kafka import KafkaBroker

from lapor_routing.app import build
from lapor_routing.settings import RoutingSettings
from lapor_shared.events import encode
from lapor_shared.testing.factories import accepted_envelope, complaint_accepted, location
from lapor_shared.testing.service import in_memory
from lapor_shared.topics import COMPLAINTS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


TOKENS = {"ID": "token-meja-triase-nasional", "32": "token-admin-jawa-barat", "18": "token-admin-lampung"}
"""Admin tokens by scope, given by configuration as a deployment does (``LAPOR_ADMIN_TOKENS``)."""


def admin(scope: str) -> dict[str, str]:
    return {"authorization": f"Bearer {TOKENS[scope]}"}


@asynccontextmanager
async def routing_over_http(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, KafkaBroker]]:
    """Routing started on the in-memory broker, its HTTP app behind an HTTP client."""
    service = build(RoutingSettings(database_url=database_url,
                                    admin_tokens=",".join(f"{s}={t}" for s, t in TOKENS.items())))
    app = service.asgi_app()
    async with in_memory(service.runtime) as broker:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://routing.test") as http:
            yield http, broker


async def test_the_endpoints_list_categories_agencies_and_the_triage_queue_without_content(database_url):
    secret = "Nama saya Budi, rumah saya di gang buntu"
    async with routing_over_http(database_url) as (http, broker):
        waiting = accepted_envelope(complaint_accepted(
            location=location(region_code=None, text="Bandung", latitude=None, longitude=None), description=secret,
            confidential=True,
        ))
        await broker.publish(encode(waiting), topic=COMPLAINTS.name)

        categories = await http.get("/categories")
        assert categories.status_code == 200 and "kesehatan" in {c["code"] for c in categories.json()}

        agencies = await http.get("/agencies", params={"jurisdiction": "18.71", "active": "true"})
        assert agencies.status_code == 200
        assert {a["agency_id"] for a in agencies.json()["agencies"]} >= {"umum.18.71", "dinkes.18.71", "pu.18.71"}
        assert {a["jurisdiction_code"] for a in agencies.json()["agencies"]} == {"18.71"}

        triage = await http.get("/triage", params={"jurisdiction": "32"}, headers=admin("32"))
        assert triage.status_code == 200
        body = triage.json()
        assert [w["tracking_number"] for w in body["waiting"]] == [waiting.tracking_number]
        assert body["waiting"][0]["reason_code"] == "location_ambiguous"
        assert secret not in json.dumps(body)
        assert (await http.get("/triage", params={"jurisdiction": "18"}, headers=admin("ID"))).json() == {
            "scope": "ID", "waiting": []}


async def test_an_unknown_or_hostile_jurisdiction_is_404_with_a_reason_not_an_empty_list(database_url):
    async with routing_over_http(database_url) as (http, _):
        for path in ("/agencies", "/triage"):
            for value in ("99.99", "../../etc/passwd", "18' OR '1'='1"):
                response = await http.get(f"{path}?jurisdiction={quote(value)}", headers=admin("ID"))
                assert response.status_code == 404, (path, value)
                assert response.json()["reasons"][0]["code"] == "unknown_jurisdiction"


async def test_the_endpoints_are_read_only(database_url):
    async with routing_over_http(database_url) as (http, _):
        answers = [await http.post(path, json={}) for path in ("/categories", "/agencies", "/triage")]

    assert {a.status_code for a in answers} == {405}
    assert all(a.json()["reasons"][0]["code"] == "method_not_allowed" for a in answers)
