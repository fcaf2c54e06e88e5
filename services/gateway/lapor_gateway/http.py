"""The gateway's HTTP surface: every channel's routes in one Starlette app, mounted on the runtime.

``register_http(runtime, settings)`` (from ``build_runtime``) declares the public routes, starts the
answer listener with the runtime and keeps what the routes share (``AdapterContext``);
``http_mounts(runtime)`` (from ``create_app``) gives the mounts to pass to ``runtime.asgi_app(mounts=…)``.
The runtime keeps its own paths (``/healthz``, ``/readyz``, ``/metrics``, ``/asyncapi``) whatever is mounted.
"""

from __future__ import annotations

import weakref
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from lapor_gateway import http_api, open311, sms, web_form
from lapor_gateway.context import AdapterContext
from lapor_gateway.settings import DEV_OPEN311_KEYS, DEV_SMS_SECRET, AdapterSettings
from lapor_gateway.submissions import SubmissionGateway
from lapor_gateway.wakeups import AnswerBoard, AnswerListener
from lapor_shared.http_errors import OVERLOAD_ERRORS, Refusal, busy, wants_html
from lapor_shared.http_limits import LogOnce, PublicRoute
from lapor_shared.logging import get_logger
from lapor_shared.runtime import Runtime

log = get_logger(component="gateway.http")

_CONTEXTS: weakref.WeakKeyDictionary[Runtime, AdapterContext] = weakref.WeakKeyDictionary()
_log_busy = LogOnce(60.0)

GET = ("GET", "HEAD")
PUBLIC_ROUTES = (
    PublicRoute("submit", "/api/v1/complaints", ("POST",)),
    PublicRoute("lookup", "/api/v1/", GET),
    PublicRoute("submit", "/lapor", ("POST",)),
    PublicRoute("lookup", "/lapor/", GET),  # the status page and a submission's page; not the empty form
    PublicRoute("gateway", "/open311/v2/", ("POST",)),
    PublicRoute("lookup", "/open311/v2/", GET),
    PublicRoute("gateway", "/sms/", (*GET, "POST")),
)
"""The routes anyone can reach, and the rate limit each counts against (``LAPOR_HTTP__RATE_…``)."""
MOUNTED = ("/api/v1", "/lapor", "/open311/v2", "/sms")
"""Path prefixes the channels' app takes (the runtime's own paths stay the runtime's)."""


def register_http(runtime: Runtime, settings: AdapterSettings) -> AdapterContext:
    """Declare the public routes and attach the answer listener to ``runtime`` (nothing connects yet)."""
    board = AnswerBoard()
    listener = AnswerListener(board)
    context = AdapterContext(runtime, settings, board, SubmissionGateway(runtime, board, settings), listener)
    runtime.public_routes.extend(PUBLIC_ROUTES)
    runtime.on_started.append(listener.start)
    runtime.on_started.append(_warn_about_dev_secrets(settings))
    runtime.on_stopping.append(listener.stop)
    _CONTEXTS[runtime] = context
    return context


def context_of_runtime(runtime: Runtime) -> AdapterContext:
    """What ``register_http`` attached to ``runtime`` (its board, listener and submission gateway)."""
    return _CONTEXTS[runtime]


def _warn_about_dev_secrets(settings: AdapterSettings) -> Any:
    async def warn(runtime: Runtime) -> None:
        if settings.sms_webhook_secret == DEV_SMS_SECRET or settings.open311_api_keys == DEV_OPEN311_KEYS:
            log.warning("gateway_using_development_secrets",
                        hint="set LAPOR_ADAPTERS__SMS_WEBHOOK_SECRET and LAPOR_ADAPTERS__OPEN311_API_KEYS")

    return warn


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"status": "error", "reasons": [{
        "code": "not_found", "field": None, "message_id": "Alamat tidak ditemukan.", "message_en": "Not found.",
    }]}, 404)


def _refusal(request: Request, refusal: Refusal) -> Response:
    headers, body = refusal.render(as_html=wants_html(request.scope))
    return Response(body, refusal.status, headers={k.decode("latin-1"): v.decode("latin-1") for k, v in headers})


_HTTP_ERRORS = {
    400: ("bad_request", "Permintaan tidak dapat dibaca.", "The request cannot be read."),
    405: ("method_not_allowed", "Metode HTTP ini tidak diterima di alamat ini.",
          "This HTTP method is not allowed here."),
}


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (a malformed multipart body, a wrong method) in the shared shape."""
    status = getattr(exc, "status_code", 400)
    code, message_id, message_en = _HTTP_ERRORS.get(status, ("refused", "Permintaan ditolak.", "Request refused."))
    extra = tuple((getattr(exc, "headers", None) or {}).items())
    return _refusal(request, Refusal(status, code, None, message_id, message_en, headers=extra))


def exception_handlers(context: AdapterContext) -> dict[Any, Any]:
    """Refusals raised by a route, the database saying "not now" (503, never 500) and Starlette's own."""

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refusal)
        return _refusal(request, exc)

    async def overloaded(request: Request, exc: Exception) -> Response:
        held_back = _log_busy((type(exc).__name__,))
        if held_back is not None:
            log.warning("gateway_database_busy", path=request.url.path, error=repr(exc), not_logged_since=held_back)
        return _refusal(request, busy(context.runtime.settings.http.retry_after_s))

    return {404: _not_found, HTTPException: _http_error, Refusal: refused,
            **{error: overloaded for error in OVERLOAD_ERRORS}}


def http_app(context: AdapterContext) -> Starlette:
    """One Starlette app with every channel's routes."""
    app = Starlette(
        routes=[*http_api.routes(), *web_form.routes(), *open311.routes(), *sms.routes()],
        exception_handlers=exception_handlers(context),
        middleware=[Middleware(GZipMiddleware, minimum_size=2000)],  # the form's region list, on a phone
    )
    app.state.adapters = context
    return app


def http_mounts(runtime: Runtime) -> list[tuple[str, Any]]:
    """The (path prefix, ASGI app) pairs to mount: every channel, one app."""
    app = http_app(context_of_runtime(runtime))
    return [(prefix, app) for prefix in MOUNTED]
