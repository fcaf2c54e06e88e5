"""Outside development, a service refuses to start on a built-in development secret or a demo account,
and says which setting to set (issue 14, "safe defaults")."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lapor_console.settings import ConsoleSettings
from lapor_dashboard.settings import DashboardSettings
from lapor_followup.settings import FollowupSettings
from lapor_gateway.settings import GatewaySettings
from lapor_intake.settings import IntakeSettings
from lapor_notify.settings import NotifySettings
from lapor_routing.settings import RoutingSettings
from lapor_shared.settings import UnsafeSettings

pytestmark = pytest.mark.unit

REAL_KEY_RING = "k1:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0NTY="

DEFAULTS_REFUSED = {
    IntakeSettings: {"LAPOR_CONTACT_KEYS", "LAPOR_REPORTER_HASH_KEY"},
    NotifySettings: {"LAPOR_CONTACT_KEYS", "LAPOR_SMS__TOKEN", "LAPOR_RECIPIENTS_FILE",
                     "LAPOR_SMTP__START_TLS=true (atau/or LAPOR_SMTP__USE_TLS=true)", "LAPOR_PUBLIC_BASE_URL"},
    GatewaySettings: {"LAPOR_ADAPTERS__OPEN311_API_KEYS", "LAPOR_ADAPTERS__SMS_WEBHOOK_SECRET",
                      "LAPOR_REPORTER_HASH_KEY", "LAPOR_EVIDENCE__LINK_SECRET"},
    DashboardSettings: {"LAPOR_SESSION_SECRET", "LAPOR_DEMO_USERS=false", "LAPOR_EVIDENCE__LINK_SECRET"},
    ConsoleSettings: {"LAPOR_SESSION_SECRET", "LAPOR_DEMO_USERS=false", "LAPOR_EVIDENCE__LINK_SECRET"},
    RoutingSettings: set(),
    FollowupSettings: set(),
}

PRODUCTION_READY = {
    IntakeSettings: {"contact_keys": REAL_KEY_RING, "reporter_hash_key": "9f1c0e…a-long-random-value"},
    NotifySettings: {"contact_keys": REAL_KEY_RING, "sms": {"token": "provider-issued"}, "recipients_file": "",
                     "smtp": {"start_tls": True}, "public_base_url": "https://lapor.go.id"},
    GatewaySettings: {"adapters": {"open311_api_keys": "kotaku:7Gx…", "sms_webhook_secret": "from-the-provider"},
                      "reporter_hash_key": "9f1c0e…a-long-random-value",
                      "evidence": {"link_secret": "another-long-random-value"}},
    DashboardSettings: {"session_secret": "a-long-random-value", "demo_users": False,
                        "evidence": {"link_secret": "another-long-random-value"}},
    ConsoleSettings: {"session_secret": "another-long-random-value", "demo_users": False,
                      "evidence": {"link_secret": "another-long-random-value"}},
    RoutingSettings: {},
    FollowupSettings: {},
}


@pytest.mark.parametrize("settings_class", list(DEFAULTS_REFUSED), ids=lambda c: c.__name__)
def test_in_production_every_development_value_a_service_holds_is_named(settings_class):
    settings = settings_class(environment="production")

    assert set(settings.development_values()) == DEFAULTS_REFUSED[settings_class]
    if DEFAULTS_REFUSED[settings_class]:
        with pytest.raises(UnsafeSettings) as refused:
            settings.refuse_development_values_in_production()
        for name in DEFAULTS_REFUSED[settings_class]:
            assert name in str(refused.value)
        assert "menolak" in str(refused.value) and "refuses" in str(refused.value)
    else:
        settings.refuse_development_values_in_production()


@pytest.mark.parametrize("settings_class", list(PRODUCTION_READY), ids=lambda c: c.__name__)
def test_a_service_with_every_secret_set_and_no_demo_accounts_starts_in_production(settings_class):
    settings = settings_class(environment="production", **PRODUCTION_READY[settings_class])

    assert settings.development_values() == []
    settings.refuse_development_values_in_production()


def test_a_development_machine_may_run_on_the_development_values():
    DashboardSettings(environment="development").refuse_development_values_in_production()


def test_production_is_the_default_when_nothing_says_otherwise(monkeypatch):
    monkeypatch.delenv("LAPOR_ENVIRONMENT")

    assert IntakeSettings().environment == "production"


def test_one_secret_left_on_its_default_is_enough_to_refuse():
    settings = GatewaySettings(environment="production", adapters={"open311_api_keys": "kotaku:7Gx…"},
                               reporter_hash_key="9f1c0e…a-long-random-value",
                               evidence={"link_secret": "another-long-random-value"})

    assert settings.development_values() == ["LAPOR_ADAPTERS__SMS_WEBHOOK_SECRET"]


def test_smtp_in_production_must_require_starttls_or_implicit_tls():
    ready = PRODUCTION_READY[NotifySettings]
    opportunistic = NotifySettings(environment="production", **{**ready, "smtp": {"start_tls": None}})
    implicit = NotifySettings(environment="production", **{**ready, "smtp": {"use_tls": True}})

    assert opportunistic.development_values() == ["LAPOR_SMTP__START_TLS=true (atau/or LAPOR_SMTP__USE_TLS=true)"]
    assert implicit.development_values() == []


@pytest.mark.parametrize("module", ["lapor_dashboard", "lapor_console"])
def test_the_service_process_exits_before_serving_and_names_the_settings(module):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    env.update(LAPOR_ENVIRONMENT="production", LAPOR_HTTP_PORT="1")  # port 1: it must not get as far as binding

    done = subprocess.run([sys.executable, "-m", module], env=env, capture_output=True, text=True, timeout=60)

    assert done.returncode != 0
    assert "LAPOR_SESSION_SECRET" in done.stderr and "LAPOR_DEMO_USERS=false" in done.stderr
    assert "LAPOR_EVIDENCE__LINK_SECRET" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_console_alone_on_the_development_link_secret_is_refused():
    ready = PRODUCTION_READY[ConsoleSettings]
    settings = ConsoleSettings(environment="production", **{**ready, "evidence": {}})

    assert settings.development_values() == ["LAPOR_EVIDENCE__LINK_SECRET"]
    with pytest.raises(UnsafeSettings, match="LAPOR_EVIDENCE__LINK_SECRET"):
        settings.refuse_development_values_in_production()


@pytest.mark.parametrize(("settings_class", "field", "name"), [
    (RoutingSettings, "admin_tokens", "LAPOR_ADMIN_TOKENS"), (FollowupSettings, "agency_tokens", "LAPOR_AGENCY_TOKENS"),
], ids=["routing-admin", "followup-agency"])
def test_a_demo_or_short_bearer_token_is_refused_in_production_and_a_long_random_one_is_not(settings_class, field,
                                                                                            name):
    demo = settings_class(environment="production", **{field: "18=demo-token,ID=" + "r" * 43})
    real = settings_class(environment="production", **{field: "18=" + "q" * 43})

    with pytest.raises(UnsafeSettings) as refused:
        demo.refuse_development_values_in_production()
    assert name in str(refused.value)
    real.refuse_development_values_in_production()
    settings_class(environment="development", **{field: "18=demo-token"}).refuse_development_values_in_production()
