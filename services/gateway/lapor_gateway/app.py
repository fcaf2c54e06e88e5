"""The gateway's composition root: the one place where concrete parts are wired together.

``build(settings)`` gives the service's parts (``Gateway``), nothing connected yet; ``create_app(settings)``
is its HTTP app (every channel's routes, ``http.py``), what ``python -m lapor_gateway`` serves.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from lapor_gateway import http
from lapor_gateway.context import AdapterContext
from lapor_gateway.evidence import GatewayEvidence
from lapor_gateway.handlers import register_handlers
from lapor_gateway.reporter_actions import ReporterActions
from lapor_gateway.settings import DEV_OPEN311_KEYS, DEV_SMS_SECRET, GatewaySettings
from lapor_gateway.submissions import SubmissionGateway
from lapor_gateway.wakeups import AnswerBoard, AnswerListener
from lapor_shared import geo
from lapor_shared.http_guard import HttpGuard
from lapor_shared.logging import get_logger
from lapor_shared.runtime import Runtime

log = get_logger(component="gateway")


@dataclass(frozen=True, slots=True)
class Gateway:
    """The service's parts: the runtime (subscribers attached) and what the channels share (the
    submission gateway, the reporter's commands, the answer board and its listener)."""

    runtime: Runtime[GatewaySettings]
    channels: AdapterContext

    def asgi_app(self) -> HttpGuard:
        return self.runtime.asgi_app(http.routes(self), public=http.PUBLIC_ROUTES, middleware=http.MIDDLEWARE,
                                     streamed=http.streamed_routes(self.channels.evidence))


def build(settings: GatewaySettings | None = None) -> Gateway:
    """Everything wired, nothing connected: the answer listener starts and stops with the runtime."""
    settings = settings or GatewaySettings()
    runtime = Runtime(settings, schema="gateway", migrations="lapor_gateway.migrations")
    board = AnswerBoard()
    listener = AnswerListener(board)
    channels = AdapterContext(runtime, settings.adapters, board, SubmissionGateway(runtime, board, settings.adapters),
                              listener, ReporterActions(runtime, board, settings.adapters), settings.reporter_hash_key,
                              GatewayEvidence.from_settings(settings.evidence))
    sweeper = channels.evidence.sweeper(lambda: runtime.pool)
    register_handlers(runtime, channels)

    async def warn_about_dev_secrets(rt: Runtime[GatewaySettings]) -> None:
        adapters = settings.adapters
        if adapters.sms_webhook_secret == DEV_SMS_SECRET or adapters.open311_api_keys == DEV_OPEN311_KEYS:
            log.warning("gateway_using_development_secrets",
                        hint="set LAPOR_ADAPTERS__SMS_WEBHOOK_SECRET and LAPOR_ADAPTERS__OPEN311_API_KEYS")

    async def warm_boundaries(rt: Runtime[GatewaySettings]) -> None:
        await asyncio.to_thread(geo.warm)  # the view places a point-only complaint in its regency (projection)

    async def start_sweeper(rt: Runtime[GatewaySettings]) -> None:
        sweeper.start()

    async def stop_sweeper(rt: Runtime[GatewaySettings]) -> None:
        await sweeper.stop()

    runtime.on_started.extend([listener.start, warn_about_dev_secrets, warm_boundaries, start_sweeper])
    runtime.on_stopping.extend([listener.stop, stop_sweeper])
    return Gateway(runtime, channels)


def create_app(settings: GatewaySettings | None = None) -> HttpGuard:
    return build(settings).asgi_app()
