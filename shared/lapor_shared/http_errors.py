"""One shape for every HTTP refusal, in Bahasa Indonesia first and English second, and the JSON and
error responses of every service's routes (no service has helpers of its own).

JSON clients get ``{"status": "error", "reasons": [{"code", "field", "message_id", "message_en"}]}``
(the shape of intake's reasons, ``lapor_shared.events.values.Reason``); a browser (``Accept:
text/html``) gets a short page with the same two sentences. A 429 or 503 carries ``Retry-After``.

The catalogue below names each refusal the HTTP guard (``http_guard``) and the services make for
input they cannot take; ``json_refusal`` turns the JSON reader's ``UnsafeJson`` into one, and
``OVERLOAD_ERRORS`` are the database's ways of saying "not now" (a statement timeout, no connection),
answered 503 rather than 500.

A route answers with ``json_response`` and refuses by raising a ``Refusal`` (or returning
``refusal_response``); ``exception_handlers`` are the ones the runtime's app (``Runtime.asgi_app``)
installs for every service: a ``Refusal``, Starlette's own refusals (404, 405 …), the database saying
"not now" (503) and a defect (500), each in the shape above.
"""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from lapor_shared.http_limits import LogOnce
from lapor_shared.logging import get_logger
from lapor_shared.safejson import UnsafeJson

__all__ = ["OVERLOAD_ERRORS", "Refusal", "busy", "error_document", "exception_handlers", "json_error",
           "json_refusal", "json_response", "reason", "refusal_response", "wants_html"]

log = get_logger(component="http")
_log_busy = LogOnce(60.0)

OVERLOAD_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.OperatorInterventionError,  # statement timeout (query canceled), admin shutdown, starting up
    asyncpg.InsufficientResourcesError,  # too many connections, out of memory or disk
    asyncpg.PostgresConnectionError,
    OSError,
    TimeoutError,
)
"""Exceptions that mean the database cannot answer now: the request may be retried."""


def reason(code: str, field: str | None, message_id: str, message_en: str) -> dict[str, Any]:
    return {"code": code, "field": field, "message_id": message_id, "message_en": message_en}


def error_document(*reasons: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """``{"status": "error", "reasons": [...]}`` plus any ``extra`` keys (kept for older clients)."""
    return {"status": "error", "reasons": list(reasons), **extra}


@dataclass(eq=False)
class Refusal(Exception):
    """A request refused with a status, one reason and, for 429/503, how long to wait."""

    status: int
    code: str
    field: str | None
    message_id: str
    message_en: str
    retry_after_s: int | None = None
    close: bool = False
    """Close the connection after answering (the body was not read to its end)."""
    headers: tuple[tuple[str, str], ...] = ()
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    """Keys added to the JSON document beside ``status`` and ``reasons`` (an API's older error keys)."""

    def reason(self) -> dict[str, Any]:
        return reason(self.code, self.field, self.message_id, self.message_en)

    def render(self, *, as_html: bool) -> tuple[list[tuple[bytes, bytes]], bytes]:
        """The response headers and body."""
        if as_html:
            body = _PAGE.format(
                status=self.status, message_id=html.escape(self.message_id), message_en=html.escape(self.message_en),
                code=html.escape(self.code),
            ).encode()
            kind = b"text/html; charset=utf-8"
        else:
            body = json.dumps(error_document(self.reason(), **self.extra), ensure_ascii=False).encode()
            kind = b"application/json; charset=utf-8"
        headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                   (b"cache-control", b"no-store"), (b"x-lapor-refusal", self.code.encode())]
        if self.retry_after_s is not None:
            headers.append((b"retry-after", str(self.retry_after_s).encode()))
        if self.close:
            headers.append((b"connection", b"close"))
        headers.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers)
        return headers, body

    async def send(self, send: Any, *, as_html: bool) -> None:
        """Answer on a raw ASGI ``send``."""
        headers, body = self.render(as_html=as_html)
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def response(self, *, as_html: bool) -> Response:
        """The same answer as a Starlette response (from a route or an exception handler)."""
        headers, body = self.render(as_html=as_html)
        return Response(body, self.status, headers={k.decode("latin-1"): v.decode("latin-1") for k, v in headers})


_PAGE = """<!doctype html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{status} · LAPOR!</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto; padding: 0 1em">
<h1>LAPOR! · {status}</h1>
<p>{message_id}</p>
<p lang="en"><em>{message_en}</em></p>
<p><small>{code}</small></p>
</body></html>
"""


def wants_html(scope: Mapping[str, Any]) -> bool:
    """Whether the client is a browser asking for a page (``Accept: text/html``)."""
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            return b"text/html" in value
    return False


def busy(retry_after_s: int) -> Refusal:
    return Refusal(
        503, "busy", None, f"Layanan sedang sibuk; silakan coba lagi dalam {retry_after_s} detik.",
        f"The service is busy; please try again in {retry_after_s} seconds.", retry_after_s=retry_after_s,
    )


def internal_error() -> Refusal:
    return Refusal(500, "internal_error", None, "Terjadi kesalahan di pihak kami; silakan coba lagi.",
                   "Something went wrong on our side; please try again.")


_JSON_MESSAGES: dict[str, tuple[int, str]] = {
    "too_large": (413, "Isi JSON melebihi batas ukuran."),
    "invalid_encoding": (400, "Isi permintaan bukan teks UTF-8 yang valid."),
    "empty": (400, "Isi permintaan kosong; kirim sebuah objek JSON."),
    "too_deep": (400, "JSON bersarang terlalu dalam."),
    "invalid_number": (400, "Ada angka yang tidak diterima (NaN, Infinity, terlalu panjang atau di luar jangkauan)."),
    "duplicate_key": (400, "Satu kunci muncul dua kali dalam satu objek JSON."),
    "control_character": (400, "Teks berisi karakter kontrol atau penanda arah teks yang tidak diizinkan."),
    "invalid_json": (400, "Isi permintaan bukan JSON yang valid."),
}


def json_refusal(exc: UnsafeJson) -> Refusal:
    """The JSON reader's reason as a refusal (a body that does not parse keeps the code ``not_json``)."""
    status, message_id = _JSON_MESSAGES.get(exc.code, _JSON_MESSAGES["invalid_json"])
    code = "not_json" if exc.code == "invalid_json" else exc.code
    return Refusal(status, code, "body", message_id, exc.reason[:300])


# --- the answers of every service's routes ---------------------------------------------------------------

def json_response(content: Any, status: int = 200, *, headers: dict[str, str] | None = None) -> Response:
    """``content`` as JSON (UTF-8, dates and ids as text), never cached."""
    body = json.dumps(content, ensure_ascii=False, default=str, separators=(",", ":")).encode()
    return Response(body, status, media_type="application/json; charset=utf-8",
                    headers={"cache-control": "no-store", **(headers or {})})


def json_error(status: int, *reasons: dict[str, Any]) -> Response:
    """``{"status": "error", "reasons": [...]}`` with ``status``, for a route that names several reasons."""
    return json_response(error_document(*reasons), status)


def refusal_response(request: Request, refusal: Refusal) -> Response:
    """``refusal`` as the client asked: a page for a browser, JSON otherwise."""
    return refusal.response(as_html=wants_html(request.scope))


_STARLETTE_REFUSALS = {
    400: ("bad_request", "Permintaan tidak dapat dibaca.", "The request cannot be read."),
    404: ("not_found", "Alamat tidak ditemukan.", "Not found."),
    405: ("method_not_allowed", "Metode HTTP ini tidak diterima di alamat ini.",
          "This HTTP method is not allowed here."),
}


def exception_handlers(retry_after_s: int) -> dict[Any, Any]:
    """What every service's app answers when a route raises (``Runtime.asgi_app`` installs them; a
    service may add its own, e.g. the dashboard's pages): a ``Refusal`` as it says, Starlette's own
    refusals (no such path, a wrong method, a malformed multipart body) in the shared shape, the
    database saying "not now" as 503 with ``Retry-After`` (logged once a minute per kind), and anything
    else as the shared 500 (the guard logs it with its traceback)."""

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refusal)
        return refusal_response(request, exc)

    async def starlette_refusal(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 400)
        code, message_id, message_en = _STARLETTE_REFUSALS.get(
            status, ("refused", "Permintaan ditolak.", "Request refused."))
        extra = tuple((getattr(exc, "headers", None) or {}).items())
        return refusal_response(request, Refusal(status, code, None, message_id, message_en, headers=extra))

    async def overloaded(request: Request, exc: Exception) -> Response:
        held_back = _log_busy((type(exc).__name__,))
        if held_back is not None:
            log.warning("http_database_busy", path=request.url.path, error=repr(exc), not_logged_since=held_back)
        return refusal_response(request, busy(retry_after_s))

    async def defect(request: Request, exc: Exception) -> Response:
        return refusal_response(request, internal_error())

    return {Refusal: refused, HTTPException: starlette_refusal, **{error: overloaded for error in OVERLOAD_ERRORS},
            Exception: defect}
