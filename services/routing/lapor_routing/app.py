"""Routing's composition root: the one place where concrete parts are wired together."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from lapor_routing import api
from lapor_routing.handlers import register_handlers
from lapor_routing.service import RoutingService
from lapor_routing.settings import RoutingSettings
from lapor_shared.runtime import Runtime


def compose(settings: RoutingSettings | None = None) -> tuple[Runtime, RoutingService]:
    """The runtime with its subscribers attached, and the use cases behind them (nothing connects yet)."""
    settings = settings or RoutingSettings()
    runtime = Runtime(settings, schema="routing", migrations="lapor_routing.migrations")
    routing = RoutingService(settings)
    runtime.on_started.append(routing.start)  # seed the registry, load the in-memory snapshot
    register_handlers(runtime, routing)
    return runtime, routing


def build_runtime(settings: RoutingSettings | None = None) -> Runtime:
    return compose(settings)[0]


def create_app(settings: RoutingSettings | None = None) -> AsgiFastStream:
    runtime, routing = compose(settings)
    return runtime.asgi_app(title="LAPOR! routing", routes=api.routes(runtime, routing))
