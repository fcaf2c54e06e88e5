"""The ASGI guard every service's HTTP app sits behind (``Runtime.asgi_app`` puts it there).

Before the service's own code sees a request, the guard refuses, each with a reason in both languages
(``http_errors``), what no endpoint should have to handle:

- a path plus query string longer than ``max_url_bytes`` (414), and a path or query string that is
  not UTF-8 or holds a control character or a bidirectional override (400);
- on a public route, more requests than the client's token bucket allows (429 with ``Retry-After``);
- a body larger than the limit of its content type (413, from ``Content-Length`` or while counting
  a streamed body; the rest is read and dropped up to ``drain_bytes``, so that a client still
  sending hears the refusal before the connection closes, unless it asked ``Expect: 100-continue``),
  a body that has not fully arrived ``body_timeout_s`` after the request began (408), a body of a
  content type no endpoint takes (415), and a URL-encoded form that is not UTF-8 or holds a refused
  character (400).

The body is read here, within those limits, and handed to the service whole. Anything the service
then raises is answered too: 503 with ``Retry-After`` when the database cannot answer now (a statement
timeout, no connection), 500 otherwise (a defect, logged), never a dropped connection. Refusals are
logged at most once per client, reason and ``log_window_s``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

from lapor_shared.http_errors import OVERLOAD_ERRORS, Refusal, busy, internal_error, wants_html
from lapor_shared.http_limits import ClientAddress, LogOnce, PublicRoute, RateLimiter, StreamedRoute, route_of
from lapor_shared.logging import get_logger
from lapor_shared.safejson import refused_character
from lapor_shared.settings import HttpSettings

log = get_logger(component="http_guard")

_FORM = "application/x-www-form-urlencoded"
_MAX_FORM_FIELDS = 1000


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    headers: Sequence[tuple[bytes, bytes]] = scope.get("headers", ())
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _media_type(scope: dict[str, Any]) -> str:
    return (_header(scope, b"content-type") or "").split(";", 1)[0].strip().lower()


def _bad_text(field: str, char: str) -> Refusal:
    return Refusal(400, "control_character", field,
                   f"Isian {field} berisi karakter kontrol atau penanda arah teks ({char}) yang tidak diizinkan.",
                   f"{field} holds a control character or a text-direction override ({char}), which is not allowed.")


def _not_utf8(field: str) -> Refusal:
    return Refusal(400, "invalid_encoding", field, f"Isian {field} bukan teks UTF-8 yang valid.",
                   f"{field} is not valid UTF-8 text.")


def check_fields(pairs: Sequence[tuple[str, str]], where: str) -> Refusal | None:
    """A refusal for the first name or value holding a refused character (``safejson.refused_character``)."""
    for name, value in pairs:
        bad = refused_character(name)
        if bad is not None:
            return _bad_text(where, bad)  # the name itself is what is wrong: do not echo it
        bad = refused_character(value)
        if bad is not None:
            return _bad_text(name[:40], bad)
    return None


def _parse_urlencoded(raw: bytes, where: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict",
                         max_num_fields=_MAX_FORM_FIELDS)
    except UnicodeDecodeError:
        raise _not_utf8(where) from None
    except ValueError:
        raise Refusal(400, "too_many_fields", where, f"Terlalu banyak isian (lebih dari {_MAX_FORM_FIELDS}).",
                      f"Too many fields (more than {_MAX_FORM_FIELDS}).") from None


class HttpGuard:
    """ASGI middleware in front of a service's whole app; ``public`` are the routes counted against a
    client's rate limit."""

    def __init__(self, app: Any, settings: HttpSettings, *, public: Sequence[PublicRoute] = (),
                 streamed: Sequence[StreamedRoute] = ()) -> None:
        self.app = app
        self.settings = settings
        self.public = list(public)
        self.streamed = list(streamed)
        self.client_of = ClientAddress(settings.trusted_proxies)
        self.limiter = RateLimiter.from_settings(settings)
        self._log_once = LogOnce(settings.log_window_s)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = self.client_of(scope)
        as_html = wants_html(scope)
        try:
            self._check_target(scope)
            self._check_rate(scope, client)
            stream = next((r for r in self.streamed if r.matches(scope["method"], scope["path"], _media_type(scope))),
                          None)
            if stream is not None:
                counted = await self._counted(scope, receive, stream.limit)
                await self._call_app(scope, counted, send, client, as_html)
                return
            body = await self._read_body(scope, receive)
        except Refusal as refusal:
            await self._refuse(refusal, scope, client, send, as_html)
            return
        if body is None:
            return  # the client went away while sending
        await self._call_app(scope, self._replay(body, receive), send, client, as_html)

    # --- the checks ------------------------------------------------------------------------------

    def _check_target(self, scope: dict[str, Any]) -> None:
        # some servers and test clients put the query string in raw_path too
        raw_path = (scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")).split(b"?", 1)[0]
        query: bytes = scope.get("query_string", b"")
        if len(raw_path) + len(query) > self.settings.max_url_bytes:
            raise Refusal(414, "url_too_long", None,
                          f"Alamat (URL) terlalu panjang; paling banyak {self.settings.max_url_bytes} bita.",
                          f"The URL is too long; at most {self.settings.max_url_bytes} bytes.")
        bad = refused_character(scope["path"])
        if bad is not None:
            raise _bad_text("path", bad)
        if "\ufffd" in scope["path"] and b"%EF%BF%BD" not in raw_path.upper():
            raise _not_utf8("path")  # the server replaced bytes that are not UTF-8
        if query:
            refusal = check_fields(_parse_urlencoded(query, "query"), "query")
            if refusal is not None:
                raise refusal

    def _check_rate(self, scope: dict[str, Any], client: str) -> None:
        route = route_of(self.public, scope["method"], scope["path"])
        if route is None:
            return
        wait = self.limiter.take(route.kind, client)
        if wait:
            raise Refusal(429, "rate_limited", None,
                          f"Terlalu banyak permintaan dari alamat Anda; silakan coba lagi dalam {wait} detik.",
                          f"Too many requests from your address; please try again in {wait} seconds.",
                          retry_after_s=wait, close=self._has_body(scope))

    @staticmethod
    def _has_body(scope: dict[str, Any]) -> bool:
        length = _header(scope, b"content-length")
        return bool(_header(scope, b"transfer-encoding")) or (length is not None and length.strip() not in ("", "0"))

    def _limit_for(self, media_type: str) -> tuple[int, str]:
        s = self.settings
        if media_type == "application/json" or media_type.endswith("+json"):
            return s.max_json_bytes, "json"
        if media_type in (_FORM, "multipart/form-data"):
            return s.max_form_bytes, "form"
        if media_type == "text/csv":
            return s.max_csv_bytes, "csv"
        return s.max_other_bytes, "other"

    def _too_large(self, limit: int) -> Refusal:
        return Refusal(413, "too_large", "body", f"Isi permintaan melebihi batas {limit} bita.",
                       f"The request body exceeds the limit of {limit} bytes.", close=True)

    async def _read_body(self, scope: dict[str, Any], receive: Any) -> bytes | None:
        media_type = _media_type(scope)
        limit, kind = self._limit_for(media_type)
        declared = _header(scope, b"content-length")
        if declared is not None and not (declared.strip().isascii() and declared.strip().isdigit()):
            raise Refusal(400, "invalid_content_length", "content-length", "Content-Length tidak valid.",
                          "Invalid Content-Length header.", close=True)
        deadline = asyncio.get_running_loop().time() + self.settings.body_timeout_s
        if declared is not None and int(declared) > limit:
            waits_for_us = (_header(scope, b"expect") or "").lower() == "100-continue"  # it has sent nothing yet
            if int(declared) <= self.settings.drain_bytes and not waits_for_us:
                await self._drain(receive, deadline, more=True)
            raise self._too_large(limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                seconds = f"{self.settings.body_timeout_s:g}"
                raise Refusal(408, "body_timeout", "body",
                              f"Isi permintaan tidak selesai terkirim dalam {seconds} detik.",
                              f"The request body did not arrive in full within {seconds} seconds.",
                              close=True) from None
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._drain(receive, deadline, more=message.get("more_body", False), read=size)
                raise self._too_large(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and kind == "other":
            raise Refusal(415, "unsupported_media_type", "content-type",
                          f"Jenis isi {media_type or '(tidak disebut)'} tidak diterima; gunakan application/json "
                          f"atau formulir (application/x-www-form-urlencoded).",
                          f"Content type {media_type or '(none given)'} is not accepted; send application/json "
                          f"or a form (application/x-www-form-urlencoded).")
        if body and media_type == _FORM:
            refusal = check_fields(_parse_urlencoded(body, "body"), "body")
            if refusal is not None:
                raise refusal
        return body

    async def _counted(self, scope: dict[str, Any], receive: Any, limit: int) -> Any:
        """A ``receive`` that hands the body on as it arrives and raises 413 once more than ``limit`` bytes
        came (the endpoint's error handler answers it), or 408 after the body deadline."""
        declared = _header(scope, b"content-length")
        if declared is not None and not (declared.strip().isascii() and declared.strip().isdigit()):
            raise Refusal(400, "invalid_content_length", "content-length", "Content-Length tidak valid.",
                          "Invalid Content-Length header.", close=True)
        deadline = asyncio.get_running_loop().time() + self.settings.body_timeout_s
        if declared is not None and int(declared) > limit:
            if int(declared) <= self.settings.drain_bytes and (_header(scope, b"expect") or "") != "100-continue":
                await self._drain(receive, deadline, more=True)
            raise self._too_large(limit)
        size = 0

        async def counted() -> dict[str, Any]:
            nonlocal size
            try:
                async with asyncio.timeout_at(deadline):
                    message: dict[str, Any] = await receive()
            except TimeoutError:
                raise Refusal(408, "body_timeout", "body", "Isi permintaan tidak selesai terkirim tepat waktu.",
                              "The request body did not arrive in time.", close=True) from None
            size += len(message.get("body", b""))
            if size > limit:
                raise self._too_large(limit)
            return message

        return counted

    async def _drain(self, receive: Any, deadline: float, *, more: bool, read: int = 0) -> None:
        """Read and drop the rest of a refused body, up to ``drain_bytes`` and the body deadline."""
        try:
            async with asyncio.timeout_at(deadline):
                while more and read <= self.settings.drain_bytes:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    read += len(message.get("body", b""))
                    more = message.get("more_body", False)
        except TimeoutError:
            pass

    # --- answering --------------------------------------------------------------------------------

    @staticmethod
    def _replay(body: bytes, receive: Any) -> Any:
        delivered = False

        async def replay() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            message: dict[str, Any] = await receive()  # after the body: the disconnect, when it comes
            return message

        return replay

    async def _call_app(self, scope: dict[str, Any], receive: Any, send: Any, client: str, as_html: bool) -> None:
        started = False

        async def tracked(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Refusal as refusal:  # a streamed body past its limit, raised outside a route's handlers
            if not started:
                await self._refuse(refusal, scope, client, send, as_html)
        except OVERLOAD_ERRORS as exc:
            self._log(client, "busy", 503, scope, error=repr(exc))
            if not started:
                await busy(self.settings.retry_after_s).send(send, as_html=as_html)
        except Exception as exc:
            log.error("http_unhandled_error", path=scope["path"], method=scope["method"], error=repr(exc),
                      exc_info=True)
            if not started:
                await internal_error().send(send, as_html=as_html)

    async def _refuse(self, refusal: Refusal, scope: dict[str, Any], client: str, send: Any, as_html: bool) -> None:
        self._log(client, refusal.code, refusal.status, scope)
        await refusal.send(send, as_html=as_html)

    def _log(self, client: str, code: str, status: int, scope: dict[str, Any], **extra: Any) -> None:
        held_back = self._log_once((client, code))
        if held_back is not None:
            log.warning("http_refused", code=code, status=status, client=client, method=scope["method"],
                        path=scope["path"][:200], not_logged_since=held_back, **extra)
