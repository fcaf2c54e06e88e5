"""The gateway's composition root: the one place where concrete parts are wired together."""

from __future__ import annotations

from lapor_gateway.handlers import register_handlers
from lapor_gateway.http import http_mounts, register_http
from lapor_gateway.settings import GatewaySettings
from lapor_shared.http_guard import HttpGuard
from lapor_shared.runtime import Runtime


def build_runtime(settings: GatewaySettings | None = None) -> Runtime:
    """The service's runtime with its subscribers and its channels attached (nothing connects until it starts)."""
    settings = settings or GatewaySettings()
    runtime = Runtime(settings, schema="gateway", migrations="lapor_gateway.migrations")
    register_handlers(runtime, settings)
    register_http(runtime, settings.adapters)
    return runtime


def create_app(settings: GatewaySettings | None = None) -> HttpGuard:
    runtime = build_runtime(settings)
    return runtime.asgi_app(title="LAPOR! gateway", mounts=http_mounts(runtime))
