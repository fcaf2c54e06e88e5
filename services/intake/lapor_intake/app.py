"""Intake's composition root: the one place where concrete parts are wired together.

``build(settings)`` gives the service's parts (``Intake``), nothing connected yet; ``create_app(settings)``
is its HTTP app, what ``python -m lapor_intake`` serves. Intake has no routes of its own: channels reach it
only through Kafka (the platform's own channels are the gateway's), so its HTTP is the runtime's alone
(``/healthz``, ``/readyz``, ``/metrics``).
"""

from __future__ import annotations

from dataclasses import dataclass

from lapor_intake.handlers import register_handlers
from lapor_intake.housekeeping import ActivityPruner
from lapor_intake.service import Context
from lapor_intake.settings import IntakeSettings
from lapor_shared.http_guard import HttpGuard
from lapor_shared.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Intake:
    """The service's parts: the runtime (subscribers attached) and what its use cases need."""

    runtime: Runtime[IntakeSettings]
    ctx: Context
    pruner: ActivityPruner

    def asgi_app(self) -> HttpGuard:
        return self.runtime.asgi_app()


def build(settings: IntakeSettings | None = None) -> Intake:
    """Everything wired, nothing connected: the pools, migrations and relay start with the app's lifespan."""
    settings = settings or IntakeSettings()
    runtime = Runtime(settings, schema="intake", migrations="lapor_intake.migrations")
    ctx = Context.from_settings(settings)
    register_handlers(runtime, ctx)
    pruner = ActivityPruner(runtime, older_than_s=ctx.activity_kept_s, channel_window_s=settings.channel_rate_window_s,
                            interval_s=settings.activity_prune_interval_s)
    runtime.on_started.append(pruner.start)
    runtime.on_stopping.append(pruner.stop)
    return Intake(runtime, ctx, pruner)


def create_app(settings: IntakeSettings | None = None) -> HttpGuard:
    return build(settings).asgi_app()
