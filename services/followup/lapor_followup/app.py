"""Followup's composition root: the one place where concrete parts are wired together.

``build(settings, clock=…)`` gives the service's parts (``Followup``), nothing connected yet; tests swap
the clock. ``create_app(settings)`` is its HTTP app (the read models of ``http.py``), what
``python -m lapor_followup`` serves.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from lapor_followup import http
from lapor_followup.context import Context
from lapor_followup.handlers import register_handlers
from lapor_followup.policies import PolicyBook, record_versions
from lapor_followup.poller import TimerPoller
from lapor_followup.settings import FollowupSettings
from lapor_followup.workcalendar import WorkingCalendar
from lapor_shared.clock import Clock, SystemClock
from lapor_shared.http_guard import HttpGuard
from lapor_shared.metrics import Metrics
from lapor_shared.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Followup:
    """The service's parts: the runtime (subscribers attached), what the use cases need (clock,
    calendar, policies) and the timer poller."""

    runtime: Runtime[FollowupSettings]
    ctx: Context
    poller: TimerPoller

    def asgi_app(self) -> HttpGuard:
        return self.runtime.asgi_app(http.routes(self), public=http.PUBLIC_ROUTES)


async def status_gauge(pool: asyncpg.Pool, metrics: Metrics) -> None:
    """``lapor_complaints_by_status``: followup holds every routed complaint's status."""
    rows = await pool.fetch("SELECT status, count(*) AS n FROM complaints GROUP BY status")
    metrics.statuses({row["status"]: row["n"] for row in rows})


def build(settings: FollowupSettings | None = None, *, clock: Clock | None = None) -> Followup:
    """Everything wired, nothing connected: the pool, migrations, calendar overrides, policy record,
    credentials and the timer poller start with the runtime (``on_started``) and stop with it."""
    settings = settings or FollowupSettings()
    runtime = Runtime(settings, schema="followup", migrations="lapor_followup.migrations")
    ctx = Context(
        clock=clock or SystemClock(),
        calendar=WorkingCalendar(cutoff_hour=settings.cutoff_hour),
        policies=PolicyBook.load(settings.policy_file),
    )
    register_handlers(runtime, ctx)
    poller = TimerPoller(
        runtime, ctx, batch_size=settings.timer_batch_size, interval_s=settings.timer_poll_interval_s,
        max_attempts=settings.timer_max_attempts, calendar_refresh_s=settings.calendar_refresh_s,
    )

    async def prepare(rt: Runtime[FollowupSettings]) -> None:
        async with rt.pool.acquire() as conn:
            await record_versions(conn, ctx.policies)
        await http.sync_credentials(rt, settings.agency_tokens)

    runtime.gauges.append(status_gauge)
    runtime.on_started.extend([prepare, poller.start])
    runtime.on_stopping.append(poller.stop)
    return Followup(runtime, ctx, poller)


def create_app(settings: FollowupSettings | None = None) -> HttpGuard:
    return build(settings).asgi_app()
