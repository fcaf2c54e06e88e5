"""The console's HTTP surface: the paths of the pages (``pages.py``) and the actions (``actions.py``), how
their errors look, their headers (``lapor_shared.web_pages.SECURITY_HEADERS``). A page that needs a login
sends the browser to the login page (the live stream answers 401). Log-in attempts count against the
caller's login rate limit (password guessing)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from lapor_console.pages import Pages, Unauthenticated
from lapor_shared import web_pages
from lapor_shared.http_limits import PublicRoute
from lapor_shared.web_pages import lang_of

if TYPE_CHECKING:
    from lapor_console.app import Console

PUBLIC_ROUTES = (PublicRoute("login", "/login", ("POST",)),)
MIDDLEWARE = web_pages.MIDDLEWARE


def routes(service: Console) -> list[BaseRoute]:
    pages, actions = service.pages, service.actions
    return [
        Route("/", pages.home),
        Route("/login", pages.login_form, methods=["GET"]),
        Route("/login", pages.login, methods=["POST"]),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/events/stream", pages.stream),
        Route("/complaints/{tracking_number}", pages.complaint),
        Route("/complaints/{tracking_number}/{action}", actions.act, methods=["POST"]),
    ]


def exception_handlers(pages: Pages) -> dict[Any, Any]:
    async def unauthenticated(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/events/"):
            return PlainTextResponse("401 Silakan masuk / please log in", 401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": target}), 303)

    async def http_error(request: Request, exc: Exception) -> Response:
        code = getattr(exc, "status_code", 500)
        if request.url.path.startswith("/events/"):
            return PlainTextResponse(f"{code}", code)
        user = await pages.user(request)
        message = "not_found" if code == 404 else "forbidden"
        return pages.html(request, "error.html", lang_of(request), code, code=code, user=user, message=message)

    return {Unauthenticated: unauthenticated, HTTPException: http_error}
