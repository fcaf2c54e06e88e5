"""Notify's composition root."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from lapor_notify.handlers import register_handlers
from lapor_notify.settings import NotifySettings
from lapor_shared.runtime import Runtime


def create_app(settings: NotifySettings | None = None) -> AsgiFastStream:
    settings = settings or NotifySettings()
    runtime = Runtime(settings, schema="notify", migrations="lapor_notify.migrations")
    register_handlers(runtime, settings)
    return runtime.asgi_app(title="LAPOR! notify")
