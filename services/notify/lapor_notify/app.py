"""Notify's composition root: the one place where concrete parts are wired together."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from lapor_notify.handlers import register_handlers
from lapor_notify.settings import NotifySettings
from lapor_shared.runtime import Runtime


def build_runtime(settings: NotifySettings | None = None) -> Runtime:
    """The service's runtime with its subscribers attached (nothing connects until it starts)."""
    settings = settings or NotifySettings()
    runtime = Runtime(settings, schema="notify", migrations="lapor_notify.migrations")
    register_handlers(runtime, settings)
    return runtime


def create_app(settings: NotifySettings | None = None) -> AsgiFastStream:
    return build_runtime(settings).asgi_app(title="LAPOR! notify")
