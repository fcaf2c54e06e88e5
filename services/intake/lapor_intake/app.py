"""Intake's composition root."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from lapor_intake.handlers import register_handlers
from lapor_intake.settings import IntakeSettings
from lapor_shared.runtime import Runtime


def create_app(settings: IntakeSettings | None = None) -> AsgiFastStream:
    settings = settings or IntakeSettings()
    runtime = Runtime(settings, schema="intake", migrations="lapor_intake.migrations")
    register_handlers(runtime, settings)
    return runtime.asgi_app(title="LAPOR! intake")
