"""Intake's HTTP surface is the runtime's alone: channels reach intake only through Kafka."""

from __future__ import annotations

import httpx
import pytest

from lapor_intake.app import build_runtime, create_app
from lapor_intake.settings import IntakeSettings
from lapor_shared.runtime import RUNTIME_PATHS

pytestmark = [pytest.mark.unit, pytest.mark.timeout(30)]

FORMER_CHANNEL_PATHS = ("/api/v1/complaints", "/api/v1/categories", "/lapor", "/lapor/status?nomor=LPR-0000-00000",
                        "/open311/v2/services.json", "/sms/outbox")


def test_intake_serves_no_route_of_its_own_and_declares_no_public_route():
    app = create_app(IntakeSettings())

    assert {path for path, _ in app.app.routes} <= set(RUNTIME_PATHS)
    assert app.public == []
    assert build_runtime(IntakeSettings()).public_routes == []


@pytest.mark.parametrize("path", FORMER_CHANNEL_PATHS)
async def test_a_path_the_channels_used_to_have_on_intake_is_not_found_there(path):
    app = create_app(IntakeSettings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake.test") as http:
        response = await http.get(path)
        alive = await http.get("/healthz")

    assert response.status_code == 404
    assert alive.status_code == 200
