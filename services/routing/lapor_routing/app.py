"""Routing's composition root."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from lapor_routing.handlers import register_handlers
from lapor_routing.settings import RoutingSettings
from lapor_shared.runtime import Runtime


def create_app(settings: RoutingSettings | None = None) -> AsgiFastStream:
    settings = settings or RoutingSettings()
    runtime = Runtime(settings, schema="routing", migrations="lapor_routing.migrations")
    register_handlers(runtime, settings)
    return runtime.asgi_app(title="LAPOR! routing")
