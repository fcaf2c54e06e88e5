"""The dashboard's HTTP surface: the pages' paths (``pages.py``), how their errors look, their headers.

A page that needs a login sends a browser to the login page (the CSV exports and the live stream answer
401 instead); any other refusal of a page (404, 403 …) is the dashboard's own error page, in the user's
language. Every response carries ``SECURITY_HEADERS``. Log-in attempts count against the caller's login
rate limit; a database that cannot answer now is the runtime's shared 503 (``lapor_shared.http_errors``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from lapor_dashboard.pages import Pages, Unauthenticated
from lapor_shared import web_pages
from lapor_shared.http_limits import PublicRoute
from lapor_shared.web_pages import SECURITY_HEADERS, lang_of

__all__ = ["MIDDLEWARE", "PUBLIC_ROUTES", "SECURITY_HEADERS", "exception_handlers", "routes"]

if TYPE_CHECKING:
    from lapor_dashboard.app import Dashboard

PUBLIC_ROUTES = (PublicRoute("login", "/login", ("POST",)),)
"""Log-in attempts count against the caller's login rate limit (password guessing)."""

def routes(service: Dashboard) -> list[BaseRoute]:
    pages = service.pages
    return [
        Route("/", pages.home),
        Route("/login", pages.login_form, methods=["GET"]),
        Route("/login", pages.login, methods=["POST"]),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/dashboard", pages.dashboard),
        Route("/export/{table}.csv", pages.export),
        Route("/events/stream", pages.stream),
        Route("/complaints/{tracking_number}", pages.complaint),
    ]


def _data(request: Request) -> bool:
    """A CSV export or the live stream: answered in plain text, never with a page."""
    return request.url.path.startswith(("/export/", "/events/")) or request.query_params.get("format") == "csv"


def exception_handlers(pages: Pages) -> dict[Any, Any]:
    async def unauthenticated(request: Request, exc: Exception) -> Response:
        if _data(request):
            return PlainTextResponse("401 Silakan masuk / please log in", 401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": target}), 303)

    async def http_error(request: Request, exc: Exception) -> Response:
        code = getattr(exc, "status_code", 500)
        if _data(request):
            return PlainTextResponse(f"{code}", code)
        user = await pages.user(request)
        return pages.html(request, "error.html", lang_of(request), code, code=code, user=user)

    return {Unauthenticated: unauthenticated, HTTPException: http_error}


MIDDLEWARE = web_pages.MIDDLEWARE
