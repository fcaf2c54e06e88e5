"""The gateway's HTTP surface: every channel's routes, served by the runtime's app.

Each channel is a module of its own with its routes (``http_api``, ``web_form``, ``open311``, ``sms``), and
so is the reporter's side (``tracking_page``, ``reporter_api``);
``routes(service)`` gathers them, each endpoint bound to what the channels share (``AdapterContext``).
What a route raises is answered by the runtime's shared handlers (``lapor_shared.http_errors``): a
``Refusal``, Starlette's own refusals (a malformed multipart body, a wrong method, no such path) and the
database saying "not now" (503), each in the shared shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import BaseRoute

from lapor_gateway import evidence_http, http_api, open311, reporter_api, sms, tracking_page, web_form
from lapor_gateway.evidence import GatewayEvidence
from lapor_shared.http_limits import PublicRoute, StreamedRoute

if TYPE_CHECKING:
    from lapor_gateway.app import Gateway

GET = ("GET", "HEAD")
PUBLIC_ROUTES = (
    PublicRoute("submit", "/api/v1/complaints", ("POST",)),
    PublicRoute("submit", "/api/v1/uploads", ("POST", "PUT")),
    PublicRoute("lookup", "/bukti/", GET),
    PublicRoute("lookup", "/api/v1/", GET),
    PublicRoute("submit", "/lapor", ("POST",)),
    PublicRoute("lookup", "/lapor/", GET),  # the status page and a submission's page; not the empty form
    PublicRoute("gateway", "/open311/v2/", ("POST",)),
    PublicRoute("lookup", "/open311/v2/", GET),
    PublicRoute("gateway", "/sms/", (*GET, "POST")),
    PublicRoute("submit", "/lacak/", ("POST",)),  # the reporter's actions
    PublicRoute("lookup", "/lacak", (*GET, "POST")),  # the tracking page: a proof per request
)
"""The routes anyone can reach, and the rate limit each counts against (``LAPOR_HTTP__RATE_…``)."""

MULTIPART = ("multipart/form-data",)


def streamed_routes(evidence: GatewayEvidence) -> tuple[StreamedRoute, ...]:
    """The routes that take files, whose body the guard counts instead of reading whole: a form with
    files up to every file's limit, an upload slot's PUT up to one file's."""
    form = evidence.multipart_limit()
    return (
        StreamedRoute("/api/v1/complaints", ("POST",), form, MULTIPART),
        StreamedRoute("/lapor", ("POST",), form, MULTIPART),
        StreamedRoute("/lacak/balas", ("POST",), form, MULTIPART),
        StreamedRoute("/open311/v2/requests", ("POST",), form, MULTIPART),
        StreamedRoute("/api/v1/uploads/", ("PUT",), evidence.settings.limits.max_file_bytes),
    )


MIDDLEWARE = (Middleware(GZipMiddleware, minimum_size=2000),)
"""The form's region list, on a phone."""


def routes(service: Gateway) -> list[BaseRoute]:
    ctx = service.channels
    return [*http_api.routes(ctx), *evidence_http.routes(ctx), *reporter_api.routes(ctx),
            *web_form.routes(ctx), *tracking_page.routes(ctx),
            *open311.routes(ctx), *sms.routes(ctx)]
