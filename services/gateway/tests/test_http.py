"""How the channels are served by the gateway's one HTTP app, and its settings."""

from __future__ import annotations

import pytest
from starlette.routing import Route

from lapor_gateway.app import create_app
from lapor_gateway.http import PUBLIC_ROUTES
from lapor_gateway.settings import AdapterSettings, GatewaySettings

pytestmark = pytest.mark.unit


def test_every_channel_is_served_by_one_app_beside_the_runtimes_own_paths():
    app = create_app(GatewaySettings())
    paths = [route.path for route in app.app.routes if isinstance(route, Route)]

    assert paths[:3] == ["/healthz", "/readyz", "/metrics"]
    assert {path.split("/")[1] for path in paths[3:]} == {"api", "lapor", "lacak", "open311", "sms", "bukti"}
    assert app.public == list(PUBLIC_ROUTES)


def test_open311_keys_are_read_as_client_key_pairs():
    settings = AdapterSettings(open311_api_keys="fixmystreet:k1, kotaku:k2,broken")

    assert settings.open311_clients() == {"k1": "fixmystreet", "k2": "kotaku"}


def test_the_channels_settings_keep_the_variable_names_they_had_on_intake(monkeypatch):
    monkeypatch.setenv("LAPOR_ADAPTERS__SMS_WEBHOOK_SECRET", "rahasia-sms")
    monkeypatch.setenv("LAPOR_ADAPTERS__OPEN311_API_KEYS", "fixmystreet:k1")
    monkeypatch.setenv("LAPOR_ADAPTERS__WAIT_S", "2.5")
    monkeypatch.setenv("LAPOR_ADAPTERS__SWEEP_INTERVAL_S", "3")  # gone with the sweeper: ignored, not an error

    settings = GatewaySettings()

    assert settings.adapters.sms_webhook_secret == "rahasia-sms"
    assert settings.adapters.open311_clients() == {"k1": "fixmystreet"}
    assert settings.adapters.wait_s == 2.5
    assert (settings.service_name, settings.http_port) == ("gateway", 8006)
