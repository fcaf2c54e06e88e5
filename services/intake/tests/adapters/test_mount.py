"""How the adapters are mounted in intake's ASGI app."""

from __future__ import annotations

import pytest

from lapor_intake.adapters.mount import PathPrefix, adapter_routes
from lapor_intake.adapters.settings import AdapterSettings
from lapor_intake.app import build_runtime
from lapor_intake.settings import IntakeSettings

pytestmark = pytest.mark.unit


def test_a_path_prefix_matches_its_whole_subtree_and_nothing_else():
    prefix = PathPrefix("/api/v1/")

    assert "/api/v1/complaints/LPR-1" == prefix
    assert "/api/v1" == prefix
    assert "/api/v1/" == prefix
    assert "/api/v10" != prefix
    assert "/healthz" != prefix


def test_every_adapter_is_mounted_unless_the_adapters_are_disabled():
    enabled = build_runtime(IntakeSettings())
    disabled = build_runtime(IntakeSettings(adapters=AdapterSettings(enabled=False)))

    assert [str(path) for path, _ in adapter_routes(enabled)] == ["/api/v1/", "/lapor/", "/open311/v2/", "/sms/"]
    assert adapter_routes(disabled) == []


def test_open311_keys_are_read_as_client_key_pairs():
    settings = AdapterSettings(open311_api_keys="fixmystreet:k1, kotaku:k2,broken")

    assert settings.open311_clients() == {"k1": "fixmystreet", "k2": "kotaku"}
