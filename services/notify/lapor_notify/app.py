"""Notify's composition root: the one place where concrete parts are wired together.

``build(settings, clock=…, channels=…)`` gives the service's parts (``Notify``), nothing connected yet;
tests swap the clock and the channels (fakes of our own ``Channel`` interface), everything else is the
production wiring. ``create_app(settings)`` is its HTTP app (the reporter's inbox, ``http.py``), what
``python -m lapor_notify`` serves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from lapor_notify import http, recipients
from lapor_notify.channels.base import Channel
from lapor_notify.channels.email import EmailChannel
from lapor_notify.channels.inbox import InboxChannel
from lapor_notify.channels.sms import SmsChannel
from lapor_notify.channels.webhook import WebhookChannel
from lapor_notify.handlers import register_handlers
from lapor_notify.service import Notifier
from lapor_notify.settings import NotifySettings
from lapor_notify.worker import DeliveryWorker
from lapor_shared.clock import Clock, SystemClock
from lapor_shared.crypto import ContactCipher
from lapor_shared.http_guard import HttpGuard
from lapor_shared.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Notify:
    """The service's parts: the runtime (subscribers attached), the use cases behind them (``notifier``:
    what to send to whom) and the delivery worker that sends it."""

    runtime: Runtime[NotifySettings]
    notifier: Notifier
    worker: DeliveryWorker

    def asgi_app(self) -> HttpGuard:
        return self.runtime.asgi_app(http.routes(self), public=http.PUBLIC_ROUTES)


def configured_channels(settings: NotifySettings, runtime: Runtime[NotifySettings],
                        client: httpx.AsyncClient) -> dict[str, Channel]:
    """The channels this deployment enables (``provider = "disabled"`` leaves one out)."""
    channels: dict[str, Channel] = {"inbox": InboxChannel(lambda: runtime.pool)}
    if settings.smtp.provider == "smtp":
        channels["email"] = EmailChannel(settings.smtp)
    if settings.sms.provider == "http":
        channels["sms"] = SmsChannel(settings.sms, client)
    if settings.webhooks.provider == "http":
        channels["webhook"] = WebhookChannel(settings.webhooks, client)
    return channels


def build(
    settings: NotifySettings | None = None, *, clock: Clock | None = None,
    channels: Mapping[str, Channel] | None = None,
) -> Notify:
    """Everything wired, nothing connected: the recipients are seeded and the delivery worker starts
    (unless ``sending.autostart`` is off) when the runtime starts (``on_started``)."""
    settings = settings or NotifySettings()
    clock = clock or SystemClock()
    runtime = Runtime(settings, schema="notify", migrations="lapor_notify.migrations")
    client = httpx.AsyncClient(follow_redirects=False)
    wired = dict(channels) if channels is not None else configured_channels(settings, runtime, client)
    notifier = Notifier(settings, clock, set(wired))
    register_handlers(runtime, notifier)
    worker = DeliveryWorker(
        pool=lambda: runtime.pool, settings=settings, clock=clock, channels=wired,
        cipher=ContactCipher.from_setting(settings.contact_keys), outbox=runtime.outbox, producer=runtime.name,
        metrics=runtime.metrics,
    )

    async def started(rt: Runtime[NotifySettings]) -> None:
        await recipients.seed(rt.pool, settings.recipients_file, clock)
        if settings.sending.autostart:
            await worker.start()

    async def stopping(rt: Runtime[NotifySettings]) -> None:
        await worker.stop()
        await client.aclose()

    runtime.on_started.append(started)
    runtime.on_stopping.append(stopping)
    return Notify(runtime, notifier, worker)


def create_app(settings: NotifySettings | None = None) -> HttpGuard:
    return build(settings).asgi_app()
