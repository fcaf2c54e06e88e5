"""The dashboard's composition root: the one place where concrete parts are wired together.

``build(settings)`` gives the service's parts (``Dashboard``), nothing connected yet: the read model's
subscriber is attached (tests run it on the in-memory broker). ``create_app(settings)`` is its HTTP app
(the pages of ``http.py``), what ``python -m lapor_dashboard`` serves.
"""

from __future__ import annotations

from dataclasses import dataclass

from lapor_dashboard import auth, http
from lapor_dashboard.handlers import register_handlers
from lapor_dashboard.pages import Pages
from lapor_dashboard.service import Projector
from lapor_dashboard.settings import DEV_SESSION_SECRET, DashboardSettings
from lapor_shared.http_guard import HttpGuard
from lapor_shared.logging import get_logger
from lapor_shared.runtime import Runtime

log = get_logger(component="dashboard")


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The service's parts: the runtime (the read model's subscriber attached), the projector behind it
    and the pages, which read through public HTTP's own pool."""

    runtime: Runtime[DashboardSettings]
    projector: Projector
    pages: Pages

    def asgi_app(self) -> HttpGuard:
        return self.runtime.asgi_app(http.routes(self), public=http.PUBLIC_ROUTES,
                                     exception_handlers=http.exception_handlers(self.pages),
                                     middleware=http.MIDDLEWARE)


def build(settings: DashboardSettings | None = None) -> Dashboard:
    """Everything wired, nothing connected: the demo officials are seeded when the runtime starts."""
    settings = settings or DashboardSettings()
    runtime = Runtime(settings, schema="dashboard", migrations="lapor_dashboard.migrations")
    projector = Projector()
    register_handlers(runtime, projector)

    async def started(rt: Runtime[DashboardSettings]) -> None:
        if settings.demo_users:
            await auth.seed_demo_users(rt.pool, settings)
            log.warning("dashboard_demo_users_enabled", hint="set LAPOR_DEMO_USERS=false in production")
        if settings.session_secret == DEV_SESSION_SECRET:
            log.warning("dashboard_using_development_secret", hint="set LAPOR_SESSION_SECRET")

    runtime.on_started.append(started)
    return Dashboard(runtime, projector, Pages(settings, lambda: runtime.http_pool))


def create_app(settings: DashboardSettings | None = None) -> HttpGuard:
    return build(settings).asgi_app()
