"""The dashboard's composition root: the one place where concrete parts are wired together.

``build_runtime(settings)`` gives the runtime with the read model's subscriber attached (tests run it on
the in-memory broker); ``web_app(runtime, settings)`` mounts the web pages on every path but FastStream's
own (``/healthz``, ``/readyz``, ``/metrics``, the lifespan: pools, migrations, relay), all behind the HTTP
guard; ``create_app(settings)`` is both.
"""

from __future__ import annotations

from lapor_dashboard import auth
from lapor_dashboard.handlers import register_handlers
from lapor_dashboard.service import Projector
from lapor_dashboard.settings import DEV_SESSION_SECRET, DashboardSettings
from lapor_dashboard.web import Web, create_web_app
from lapor_shared.http_guard import HttpGuard
from lapor_shared.http_limits import PublicRoute
from lapor_shared.logging import get_logger
from lapor_shared.runtime import Runtime

log = get_logger(component="dashboard")

PUBLIC_ROUTES = (PublicRoute("login", "/login", ("POST",)),)
"""Log-in attempts count against the caller's login rate limit (password guessing)."""


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
    runtime.public_routes.extend(PUBLIC_ROUTES)
    return runtime


def web_app(runtime: Runtime, settings: DashboardSettings) -> HttpGuard:
    """The pages (reading through public HTTP's own pool) in front of FastStream's app, behind the guard."""
    pages = create_web_app(Web(settings, lambda: runtime.http_pool))
    return runtime.asgi_app(title="LAPOR! dashboard", mounts=[("/", pages)])


def create_app(settings: DashboardSettings | None = None) -> HttpGuard:
    settings = settings or DashboardSettings()
    return web_app(build_runtime(settings), settings)
