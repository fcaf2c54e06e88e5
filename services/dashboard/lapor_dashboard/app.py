"""The dashboard's composition root: the one place where concrete parts are wired together.

``build_runtime(settings)`` gives the runtime with the read model's subscriber attached (tests run it on
the in-memory broker); ``create_app(settings)`` adds the web pages in front of FastStream's app, which
keeps ``/healthz``, ``/readyz`` and the lifespan (pool, migrations, relay).
"""

from __future__ import annotations

from typing import Any

from lapor_dashboard import auth
from lapor_dashboard.handlers import register_handlers
from lapor_dashboard.service import Projector
from lapor_dashboard.settings import DEV_SESSION_SECRET, DashboardSettings
from lapor_dashboard.web import Web, create_web_app
from lapor_shared.logging import get_logger
from lapor_shared.runtime import Runtime

log = get_logger(component="dashboard")

RUNTIME_PATHS = ("/healthz", "/readyz", "/metrics", "/asyncapi")
"""Paths FastStream's app answers; every other HTTP request goes to the dashboard's pages."""


def build_runtime(settings: DashboardSettings | None = None) -> Runtime:
    """The service's runtime with its subscriber attached (nothing connects until it starts)."""
    settings = settings or DashboardSettings()
    runtime = Runtime(settings, schema="dashboard", migrations="lapor_dashboard.migrations")
    register_handlers(runtime, Projector(), settings)

    async def started(rt: Runtime) -> None:
        if settings.demo_users:
            await auth.seed_demo_users(rt.pool, settings)
            log.warning("dashboard_demo_users_enabled", hint="set LAPOR_DEMO_USERS=false in production")
        if settings.session_secret == DEV_SESSION_SECRET:
            log.warning("dashboard_using_development_secret", hint="set LAPOR_SESSION_SECRET")

    runtime.on_started.append(started)
    return runtime


class Dispatch:
    """HTTP requests to the runtime's own paths go to FastStream's app, the rest to the pages; the
    lifespan (start-up and shutdown of the runtime) always goes to FastStream's app."""

    def __init__(self, service: Any, pages: Any) -> None:
        self.service = service
        self.pages = pages

    def __getattr__(self, name: str) -> Any:  # the wrapped app's own API (broker, lifespan_context …)
        return getattr(self.service, name)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(RUNTIME_PATHS):
            await self.pages(scope, receive, send)
            return
        await self.service(scope, receive, send)


def create_app(settings: DashboardSettings | None = None) -> Dispatch:
    settings = settings or DashboardSettings()
    runtime = build_runtime(settings)
    pages = create_web_app(Web(settings, lambda: runtime.pool))
    return Dispatch(runtime.asgi_app(title="LAPOR! dashboard"), pages)
