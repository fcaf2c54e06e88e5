"""Intake's composition root: the one place where concrete parts are wired together."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from lapor_intake.adapters.mount import adapter_routes, register_adapters
from lapor_intake.handlers import register_handlers
from lapor_intake.settings import IntakeSettings
from lapor_shared.runtime import Runtime


def build_runtime(settings: IntakeSettings | None = None) -> Runtime:
    """The service's runtime with its subscribers attached (nothing connects until it starts)."""
    settings = settings or IntakeSettings()
    runtime = Runtime(settings, schema="intake", migrations="lapor_intake.migrations")
    register_handlers(runtime, settings)
    register_adapters(runtime, settings.adapters)  # the reference channel adapters (lapor_intake.adapters)
    return runtime


def create_app(settings: IntakeSettings | None = None) -> AsgiFastStream:
    runtime = build_runtime(settings)
    return runtime.asgi_app(title="LAPOR! intake", routes=adapter_routes(runtime))
