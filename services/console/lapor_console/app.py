"""The console's composition root: the one place where concrete parts are wired together.

``build(settings)`` gives the service's parts (``Console``), nothing connected yet: the read model's
subscriber on every onboarded agency's stream is attached, and the agency commands it publishes are
declared (``lapor.commands.agency.<agency id>``, the officer's agency's own topic). ``create_app(settings)``
is its HTTP app, what ``python -m lapor_console`` serves.
"""

from __future__ import annotations

from dataclasses import dataclass

from lapor_console import auth, http
from lapor_console.actions import Actions
from lapor_console.evidence import ConsoleEvidence
from lapor_console.handlers import register_handlers
from lapor_console.pages import Pages
from lapor_console.service import Projector
from lapor_console.settings import DEV_SESSION_SECRET, ConsoleSettings
from lapor_shared.events.commands import (
    AcknowledgeComplaint,
    ForwardComplaint,
    RequestExtension,
    ResolveComplaint,
    RespondToComplaint,
)
from lapor_shared.http_guard import HttpGuard
from lapor_shared.logging import get_logger
from lapor_shared.runtime import Runtime

log = get_logger(component="console")


@dataclass(frozen=True, slots=True)
class Console:
    runtime: Runtime[ConsoleSettings]
    projector: Projector
    pages: Pages
    actions: Actions

    def asgi_app(self) -> HttpGuard:
        return self.runtime.asgi_app(http.routes(self), public=http.PUBLIC_ROUTES,
                                     exception_handlers=http.exception_handlers(self.pages),
                                     middleware=http.MIDDLEWARE, streamed=self.actions.evidence.streamed_routes())


def build(settings: ConsoleSettings | None = None) -> Console:
    """Everything wired, nothing connected: the demo officers are seeded when the runtime starts."""
    settings = settings or ConsoleSettings()
    runtime = Runtime(settings, schema="console", migrations="lapor_console.migrations")
    projector = Projector()
    register_handlers(runtime, projector)
    runtime.publishes(AcknowledgeComplaint, RespondToComplaint, RequestExtension, ResolveComplaint, ForwardComplaint)

    async def started(rt: Runtime[ConsoleSettings]) -> None:
        if settings.demo_users:
            await auth.seed_demo_officers(rt.pool, settings)
            log.warning("console_demo_officers_enabled", hint="set LAPOR_DEMO_USERS=false in production")
        if settings.session_secret == DEV_SESSION_SECRET:
            log.warning("console_using_development_secret", hint="set LAPOR_SESSION_SECRET")
        if settings.evidence.is_development_secret():
            log.warning("console_using_development_link_secret", hint="set LAPOR_EVIDENCE__LINK_SECRET")

    runtime.on_started.append(started)
    evidence = ConsoleEvidence.from_settings(settings.evidence)
    pages = Pages(settings, lambda: runtime.http_pool, evidence)

    def nudge() -> None:
        if runtime.relay is not None:
            runtime.relay.backlog_hint()

    return Console(runtime, projector, pages, Actions(pages, runtime.outbox, evidence, nudge))


def create_app(settings: ConsoleSettings | None = None) -> HttpGuard:
    return build(settings).asgi_app()
