"""Followup's composition root: the one place where concrete parts are wired together."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from lapor_followup.handlers import register_handlers
from lapor_followup.settings import FollowupSettings
from lapor_shared.runtime import Runtime


def build_runtime(settings: FollowupSettings | None = None) -> Runtime:
    """The service's runtime with its subscribers attached (nothing connects until it starts)."""
    settings = settings or FollowupSettings()
    runtime = Runtime(settings, schema="followup", migrations="lapor_followup.migrations")
    register_handlers(runtime, settings)
    return runtime


def create_app(settings: FollowupSettings | None = None) -> AsgiFastStream:
    return build_runtime(settings).asgi_app(title="LAPOR! followup")
