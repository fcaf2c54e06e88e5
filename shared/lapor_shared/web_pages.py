"""What the platform's server-rendered web applications (the dashboard, the officer console) share:
the language of a page (Bahasa Indonesia first, English on request, remembered in a cookie), dates and
durations in words, where a login may send the browser next, and the security headers of every response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from lapor_shared.db import Executor
from lapor_shared.http_guard import check_fields
from lapor_shared.web_sessions import Sessions

LANGS = ("id", "en")
LANG_COOKIE = "lang"

MONTHS_ID = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ZONE_SUFFIX = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}

UNITS: dict[str, tuple[str, str]] = {"day": ("hari", "days"), "hour": ("jam", "h"), "minute": ("mnt", "min")}


def pick(lang: str, pair: tuple[str, str]) -> str:
    return pair[1] if lang == "en" else pair[0]


def translator(texts: Mapping[str, tuple[str, str]], lang: str) -> Callable[[str], str]:
    """``t(key)``: the text of ``key`` in ``lang`` (the key itself when there is none)."""

    def t(key: str) -> str:
        pair = texts.get(key)
        return pick(lang, pair) if pair else key

    return t


def decimal(value: float, lang: str, digits: int = 1) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "id" else text


def duration(seconds: float | None, lang: str) -> str:
    """``–``, minutes, hours (up to two days) or days."""
    if seconds is None:
        return "–"
    if seconds < 3600:
        return f"{max(0, round(seconds / 60))} {pick(lang, UNITS['minute'])}"
    if seconds < 48 * 3600:
        return f"{decimal(seconds / 3600, lang)} {pick(lang, UNITS['hour'])}"
    return f"{decimal(seconds / 86400, lang)} {pick(lang, UNITS['day'])}"


def when(at: datetime | None, lang: str, zone: str = "Asia/Jakarta") -> str:
    """``2 Mar 2026 09:00 WIB``: a moment in the local time of ``zone``."""
    if at is None:
        return "–"
    local = at.astimezone(ZoneInfo(zone))
    months = MONTHS_EN if lang == "en" else MONTHS_ID
    return f"{local.day} {months[local.month - 1]} {local.year} {local:%H:%M} {ZONE_SUFFIX.get(zone, zone)}"


def lang_of(request: Request) -> str:
    """The page's language: asked for (``?lang=en``), else remembered, else Bahasa Indonesia."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    kept = request.cookies.get(LANG_COOKIE)
    return kept if kept in LANGS else "id"


def remember_lang(request: Request, response: Response, lang: str) -> None:
    if request.query_params.get("lang") in LANGS and request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")


def safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//elsewhere`` or a full URL) may follow the login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return ""


@dataclass(frozen=True, slots=True)
class LoginForm:
    username: str
    password: str
    target: str
    """Where to go once logged in (``safe_next``; empty: the home page)."""


async def login_form(request: Request) -> LoginForm | Response:
    """The log-in form's fields (each cut to a sane length), or the guard's refusal of a hostile form (a
    multipart body is not checked by the HTTP guard itself)."""
    form = await request.form()
    fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    refusal = check_fields(fields, "body")
    if refusal is not None:
        return refusal.response(as_html=True)
    given = dict(fields)
    return LoginForm(given.get("username", "")[:100], given.get("password", "")[:200], safe_next(given.get("next", "")))


def set_session_cookie(response: Response, name: str, token: str, *, max_age_s: int, secure: bool,
                       samesite: Literal["lax", "strict"] = "lax") -> None:
    response.set_cookie(name, token, max_age=max_age_s, httponly=True, samesite=samesite, secure=secure)


async def sign_in(
    request: Request, sessions: Sessions, db: Executor, *, authenticate: Callable[[str, str], Awaitable[Any]],
    refused: Callable[[LoginForm], Response], cookie: str, landing: str, secure: bool,
    samesite: Literal["lax", "strict"] = "lax",
) -> tuple[Response, Any]:
    """A log-in form posted: the hostile form's refusal, ``refused(form)`` for a wrong user or password, or a
    redirect with a new session's cookie; and who logged in (None unless they did). Who may log in is the
    service's (``authenticate(username, password)`` answers someone with a ``username``, or None)."""
    form = await login_form(request)
    if isinstance(form, Response):
        return form, None
    who = await authenticate(form.username, form.password)
    if who is None:
        return refused(form), None
    response = RedirectResponse(form.target or landing, 303)
    set_session_cookie(response, cookie, await sessions.open(db, who.username), max_age_s=sessions.max_age_s,
                       secure=secure, samesite=samesite)
    return response, who


async def sign_out(request: Request, sessions: Sessions, db: Executor, *, cookie: str) -> Response:
    """Ends the session in the database (every copy of the cookie stops working), then the cookie."""
    await sessions.end(db, request.cookies.get(cookie))
    response = RedirectResponse("/login", 303)
    response.delete_cookie(cookie)
    return response


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
}


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every HTTP response of the wrapped app."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                         if k.lower().encode() not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


MIDDLEWARE = (Middleware(SecurityHeaders),)


SHARED_TEMPLATES = Path(__file__).parent / "templates"
"""Pages every signed-in web service shows alike (``login.html``); each extends the service's ``base.html``."""


def page_templates(service_templates: Path) -> Environment:
    """The Jinja environment of a service's pages: its own templates first, then the shared ones."""
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(service_templates), FileSystemLoader(SHARED_TEMPLATES)]),
        autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
    )

