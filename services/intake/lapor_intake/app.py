"""Intake's composition root: the one place where concrete parts are wired together."""

from __future__ import annotations

from lapor_intake.handlers import register_handlers
from lapor_intake.settings import IntakeSettings
from lapor_shared.http_guard import HttpGuard
from lapor_shared.runtime import Runtime


def build_runtime(settings: IntakeSettings | None = None) -> Runtime:
    """The service's runtime with its subscribers attached (nothing connects until it starts)."""
    settings = settings or IntakeSettings()
    runtime = Runtime(settings, schema="intake", migrations="lapor_intake.migrations")
    register_handlers(runtime, settings)
    return runtime


def create_app(settings: IntakeSettings | None = None) -> HttpGuard:
    """Intake's HTTP surface is the runtime's alone (``/healthz``, ``/readyz``, ``/metrics``, ``/asyncapi``):
    channels reach it only through Kafka (the platform's own channels are the gateway's)."""
    return build_runtime(settings).asgi_app(title="LAPOR! intake")
