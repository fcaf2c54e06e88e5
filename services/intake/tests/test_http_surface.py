"""Intake's HTTP surface is the runtime's alone: channels reach intake only through Kafka."""

from __future__ import annotations

import httpx
import pytest
from starlette.routing import Route

from lapor_intake.app import create_app
from lapor_intake.settings import IntakeSettings

pytestmark = [pytest.mark.unit, pytest.mark.timeout(30)]

RUNTIME_PATHS = {"/healthz", "/readyz", "/metrics"}
FORMER_CHANNEL_PATHS = ("/api/v1/complaints", "/api/v1/categories", "/lapor", "/lapor/status?nomor=LPR-0000-00000",
                        "/open311/v2/services.json", "/sms/outbox")


def test_intake_serves_no_route_of_its_own_and_declares_no_public_route():
    app = create_app(IntakeSettings())

    assert {route.path for route in app.app.routes if isinstance(route, Route)} == RUNTIME_PATHS
    assert len(app.app.routes) == len(RUNTIME_PATHS)
    assert app.public == []


@pytest.mark.parametrize("path", FORMER_CHANNEL_PATHS)
async def test_a_path_the_channels_used_to_have_on_intake_is_not_found_there(path):
    app = create_app(IntakeSettings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake.test") as http:
        response = await http.get(path)
        alive = await http.get("/healthz")

    assert response.status_code == 404 and response.json()["reasons"][0]["code"] == "not_found"
    assert alive.status_code == 200
