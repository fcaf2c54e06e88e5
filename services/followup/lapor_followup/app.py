"""Followup's composition root."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from lapor_followup.handlers import register_handlers
from lapor_followup.settings import FollowupSettings
from lapor_shared.runtime import Runtime


def create_app(settings: FollowupSettings | None = None) -> AsgiFastStream:
    settings = settings or FollowupSettings()
    runtime = Runtime(settings, schema="followup", migrations="lapor_followup.migrations")
    register_handlers(runtime, settings)
    return runtime.asgi_app(title="LAPOR! followup")
