"""Routing's composition root: the one place where concrete parts are wired together.

``build(settings)`` gives the service's parts (``Routing``), nothing connected yet; ``create_app(settings)``
is its HTTP app (the read-only endpoints of ``http.py``), what ``python -m lapor_routing`` serves.
"""

from __future__ import annotations

from dataclasses import dataclass

from lapor_routing import http
from lapor_routing.handlers import register_handlers
from lapor_routing.registry_commands import RegistryCommands
from lapor_routing.service import RoutingService
from lapor_routing.settings import RoutingSettings
from lapor_shared.http_guard import HttpGuard
from lapor_shared.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Routing:
    """The service's parts: the runtime (subscribers attached) and the use cases behind them."""

    runtime: Runtime[RoutingSettings]
    routing: RoutingService

    def asgi_app(self) -> HttpGuard:
        return self.runtime.asgi_app(http.routes(self), public=http.PUBLIC_ROUTES)


def build(settings: RoutingSettings | None = None) -> Routing:
    """Everything wired, nothing connected: the configured admin tokens are written, the registry seeded
    and the in-memory snapshot loaded when the runtime starts (``on_started``); a token for a scope code
    nobody knows is refused here."""
    settings = settings or RoutingSettings()
    runtime = Runtime(settings, schema="routing", migrations="lapor_routing.migrations")
    routing = RoutingService(settings)
    tokens = http.configured_tokens(settings.admin_tokens)

    async def credentials(rt: Runtime[RoutingSettings]) -> None:
        await http.sync_credentials(rt, tokens)

    runtime.on_started.extend([credentials, routing.start])
    register_handlers(runtime, routing, RegistryCommands(routing.registry))
    return Routing(runtime, routing)


def create_app(settings: RoutingSettings | None = None) -> HttpGuard:
    return build(settings).asgi_app()
