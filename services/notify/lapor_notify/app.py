"""Notify's composition root: the one place where concrete parts are wired together.

``build_runtime(settings, clock=…, channels=…)`` lets tests swap the clock and the channels (fakes of our
own ``Channel`` interface); everything else is the production wiring.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from lapor_notify import recipients
from lapor_notify.channels.base import Channel
from lapor_notify.channels.email import EmailChannel
from lapor_notify.channels.inbox import InboxChannel
from lapor_notify.channels.sms import SmsChannel
from lapor_notify.channels.webhook import WebhookChannel
from lapor_notify.handlers import register_handlers
from lapor_notify.http import INBOX_PREFIX, PUBLIC_ROUTES, InboxApi
from lapor_notify.service import Notifier
from lapor_notify.settings import NotifySettings
from lapor_notify.worker import DeliveryWorker
from lapor_shared.clock import Clock, SystemClock
from lapor_shared.crypto import ContactCipher
from lapor_shared.runtime import Runtime


def configured_channels(settings: NotifySettings, runtime: Runtime, client: httpx.AsyncClient) -> dict[str, Channel]:
    """The channels this deployment enables (``provider = "disabled"`` leaves one out)."""
    channels: dict[str, Channel] = {"inbox": InboxChannel(lambda: runtime.pool)}
    if settings.smtp.provider == "smtp":
        channels["email"] = EmailChannel(settings.smtp)
    if settings.sms.provider == "http":
        channels["sms"] = SmsChannel(settings.sms, client)
    if settings.webhooks.provider == "http":
        channels["webhook"] = WebhookChannel(settings.webhooks, client)
    return channels


def build_runtime(
    settings: NotifySettings | None = None, *, clock: Clock | None = None,
    channels: Mapping[str, Channel] | None = None,
) -> Runtime:
    """The service's runtime with its subscribers and delivery worker attached (nothing connects until it
    starts). ``runtime.worker`` is the delivery worker."""
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
    runtime.worker = worker  # type: ignore[attr-defined]
    runtime.notifier = notifier  # type: ignore[attr-defined]

    async def started(rt: Runtime) -> None:
        await recipients.seed(rt.pool, settings.recipients_file, clock)
        if settings.sending.autostart:
            await worker.start()

    async def stopping(rt: Runtime) -> None:
        await worker.stop()
        await client.aclose()

    runtime.on_started.append(started)
    runtime.on_stopping.append(stopping)
    runtime.public_routes.extend(PUBLIC_ROUTES)
    return runtime


def create_app(settings: NotifySettings | None = None) -> Any:
    """The ASGI app: FastStream's (broker, /healthz, /readyz) plus the inbox API, behind the HTTP guard."""
    runtime = build_runtime(settings)
    return runtime.asgi_app(title="LAPOR! notify", mounts=[(INBOX_PREFIX, InboxApi(lambda: runtime.http_pool))])
