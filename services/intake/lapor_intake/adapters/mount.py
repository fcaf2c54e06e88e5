"""Wiring the adapters into intake's runtime: their subscribers, their sweeper and their HTTP routes.

``register_adapters(runtime, settings)`` (from ``build_runtime``) attaches the results subscriber, the
complaint-view projection and the sweeper; ``adapter_routes(runtime)`` (from ``create_app``) gives the
routes to pass to ``runtime.asgi_app(routes=…)``.
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

from lapor_intake.adapters import http_api, open311, sms, web_form
from lapor_intake.adapters.context import AdapterContext
from lapor_intake.adapters.gateway import SubmissionGateway
from lapor_intake.adapters.projection import register_projection
from lapor_intake.adapters.results import ResultBoard, register_results
from lapor_intake.adapters.settings import DEV_OPEN311_KEYS, DEV_SMS_SECRET, AdapterSettings
from lapor_shared.http_errors import OVERLOAD_ERRORS, Refusal, busy, wants_html
from lapor_shared.http_limits import LogOnce, PublicRoute
from lapor_shared.logging import get_logger
from lapor_shared.runtime import Runtime

log = get_logger(component="intake.adapters")

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
"""The adapters' routes anyone can reach, and the rate limit each counts against (``LAPOR_HTTP__RATE_…``)."""


class PathPrefix(str):
    """A route path that equals every request path under it.

    ``AsgiFastStream`` dispatches by ``scope["path"] == path``; since this is a subclass of ``str``,
    Python asks its ``__eq__`` first, so one Starlette app serves a whole subtree
    (``/api/v1/complaints/{tracking_number}`` and the like).
    """

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str):
            return NotImplemented
        prefix = str.__str__(self)
        return other == prefix.rstrip("/") or other.startswith(prefix)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = str.__hash__


def register_adapters(runtime: Runtime, settings: AdapterSettings) -> AdapterContext | None:
    """Attach the adapters' subscribers and background work to ``runtime`` (nothing connects yet)."""
    if not settings.enabled:
        return None
    board = ResultBoard()
    context = AdapterContext(runtime, settings, board, SubmissionGateway(runtime, board, settings))
    register_results(runtime, board, settings)
    register_projection(runtime)
    runtime.public_routes.extend(PUBLIC_ROUTES)
    runtime.on_started.append(_warn_about_dev_secrets(settings))
    _CONTEXTS[runtime] = context
    return context


def _warn_about_dev_secrets(settings: AdapterSettings) -> Any:
    async def warn(runtime: Runtime) -> None:
        if settings.sms_webhook_secret == DEV_SMS_SECRET or settings.open311_api_keys == DEV_OPEN311_KEYS:
            log.warning("adapters_using_development_secrets",
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
            log.warning("adapter_database_busy", path=request.url.path, error=repr(exc), not_logged_since=held_back)
        return _refusal(request, busy(context.runtime.settings.http.retry_after_s))

    return {404: _not_found, HTTPException: _http_error, Refusal: refused,
            **{error: overloaded for error in OVERLOAD_ERRORS}}


def http_app(context: AdapterContext) -> Starlette:
    """One Starlette app with every adapter route."""
    app = Starlette(
        routes=[*http_api.routes(), *web_form.routes(), *open311.routes(), *sms.routes()],
        exception_handlers=exception_handlers(context),
        middleware=[Middleware(GZipMiddleware, minimum_size=2000)],  # the form's region list, on a phone
    )
    app.state.adapters = context
    return app


def adapter_routes(runtime: Runtime) -> list[tuple[str, Any]]:
    """The (path, ASGI app) pairs to mount, or none when the adapters are disabled."""
    context = _CONTEXTS.get(runtime)
    if context is None:
        return []
    app = http_app(context)
    return [(PathPrefix(prefix), app) for prefix in ("/api/v1/", "/lapor/", "/open311/v2/", "/sms/")]
