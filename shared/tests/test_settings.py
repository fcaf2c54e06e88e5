"""Settings: the broker connection's security and waits come from the environment, secrets stay secret."""

from __future__ import annotations

import ssl

import pytest
from pydantic import ValidationError

from lapor_shared.kafka import make_broker
from lapor_shared.runtime import Runtime
from lapor_shared.settings import KafkaSettings, ServiceSettings

pytestmark = pytest.mark.unit


def test_the_default_connection_is_plaintext_without_options():
    kafka = ServiceSettings().kafka

    assert kafka.security() is None
    assert kafka.client_options() == {}


def test_scram_over_tls_from_the_environment_reaches_every_kind_of_client(monkeypatch):
    monkeypatch.setenv("LAPOR_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("LAPOR_KAFKA_SASL_USERNAME", "lapor-notify")
    monkeypatch.setenv("LAPOR_KAFKA_SASL_PASSWORD", "s3cret-from-strimzi")

    kafka = ServiceSettings(service_name="notify").kafka
    options = kafka.client_options()

    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "lapor-notify"
    assert options["sasl_plain_password"] == "s3cret-from-strimzi"
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    make_broker(kafka, client_id="lapor-notify")  # FastStream accepts the same security


def test_the_password_never_shows_in_a_printed_setting(monkeypatch):
    monkeypatch.setenv("LAPOR_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("LAPOR_KAFKA_SASL_USERNAME", "lapor-intake")
    monkeypatch.setenv("LAPOR_KAFKA_SASL_PASSWORD", "s3cret-from-strimzi")

    settings = ServiceSettings()

    assert "s3cret-from-strimzi" not in repr(settings)
    assert "s3cret-from-strimzi" not in repr(settings.kafka)


def test_sasl_without_credentials_is_refused_at_start():
    with pytest.raises(ValidationError, match="needs sasl_username and sasl_password"):
        KafkaSettings(security_protocol="SASL_SSL", sasl_username="lapor-routing")


def test_tls_alone_trusts_the_given_ca_bundle(tmp_path):
    with pytest.raises(FileNotFoundError):  # the CA file is read at start: a wrong path fails loudly
        KafkaSettings(security_protocol="SSL", ssl_cafile=str(tmp_path / "missing-ca.crt")).security()
    options = KafkaSettings(security_protocol="SSL").client_options()
    assert options["security_protocol"] == "SSL" and "sasl_mechanism" not in options


def test_the_fetch_wait_of_a_deployment_on_apache_kafka_is_honoured(monkeypatch):
    monkeypatch.setenv("LAPOR_KAFKA_FETCH_MAX_WAIT_MS", "500")

    assert ServiceSettings().kafka.fetch_max_wait_ms == 500


def test_a_consumer_groups_session_and_heartbeat_come_from_the_environment_and_reach_every_subscriber(monkeypatch):
    monkeypatch.setenv("LAPOR_KAFKA_SESSION_TIMEOUT_MS", "2000")
    monkeypatch.setenv("LAPOR_KAFKA_HEARTBEAT_INTERVAL_MS", "500")

    settings = ServiceSettings(service_name="probe", database_url="postgresql://probe@db/probe")
    runtime = Runtime(settings, schema="probe", migrations="lapor_shared.migrations")

    assert (settings.kafka.session_timeout_ms, settings.kafka.heartbeat_interval_ms) == (2000, 500)
    assert runtime.subscriber_defaults["session_timeout_ms"] == 2000
    assert runtime.subscriber_defaults["heartbeat_interval_ms"] == 500


def test_by_default_a_silent_member_loses_its_partitions_after_six_seconds():
    kafka = ServiceSettings().kafka

    assert (kafka.session_timeout_ms, kafka.heartbeat_interval_ms) == (6000, 2000)


def test_a_heartbeat_no_shorter_than_the_session_is_refused_at_start():
    with pytest.raises(ValidationError, match=r"heartbeat_interval_ms \(2000\) must be shorter than session"):
        KafkaSettings(session_timeout_ms=2000, heartbeat_interval_ms=2000)
