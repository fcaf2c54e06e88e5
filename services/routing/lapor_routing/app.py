"""Routing's composition root: the one place where concrete parts are wired together."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from lapor_routing.handlers import register_handlers
from lapor_routing.settings import RoutingSettings
from lapor_shared.runtime import Runtime


def build_runtime(settings: RoutingSettings | None = None) -> Runtime:
    """The service's runtime with its subscribers attached (nothing connects until it starts)."""
    settings = settings or RoutingSettings()
    runtime = Runtime(settings, schema="routing", migrations="lapor_routing.migrations")
    register_handlers(runtime, settings)
    return runtime


def create_app(settings: RoutingSettings | None = None) -> AsgiFastStream:
    return build_runtime(settings).asgi_app(title="LAPOR! routing")
