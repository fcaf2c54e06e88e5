"""How the channels are mounted on the gateway's ASGI app, and its settings."""

from __future__ import annotations

import pytest

from lapor_gateway.app import build_runtime, create_app
from lapor_gateway.http import MOUNTED, PUBLIC_ROUTES, http_mounts
from lapor_gateway.settings import AdapterSettings, GatewaySettings

pytestmark = pytest.mark.unit


def test_every_channel_is_mounted_on_one_app_beside_the_runtimes_own_paths():
    runtime = build_runtime(GatewaySettings())
    mounts = http_mounts(runtime)

    assert [prefix for prefix, _ in mounts] == ["/api/v1", "/lapor", "/open311/v2", "/sms"] == list(MOUNTED)
    assert len({id(app) for _, app in mounts}) == 1
    assert runtime.public_routes == list(PUBLIC_ROUTES)
    assert {path for path, _ in create_app(GatewaySettings()).app.app.routes} == {"/healthz", "/readyz", "/metrics"}


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
