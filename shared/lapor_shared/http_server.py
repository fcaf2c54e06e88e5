"""uvicorn's HTTP/1.1 protocol with a deadline for a request's line and headers, and bilingual 400s.

uvicorn closes a connection that stays idle between requests (``timeout_keep_alive``), but waits
forever for a client that connects and sends nothing, or sends its headers a byte at a time
(slowloris). Such a connection is answered 408 with a reason in both languages and closed once
``header_timeout_s`` has passed without a complete request head. The body's own deadline is the HTTP
guard's (``http_guard``).

A request the HTTP parser cannot read at all (a request line or headers over 16 kB, bytes outside
ASCII in the target, a malformed header) is answered 400 in the shared refusal shape instead of
uvicorn's bare text, and uvicorn's warning about it is logged once a minute at most.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from lapor_shared.http_errors import Refusal
from lapor_shared.http_limits import LogOnce
from lapor_shared.logging import get_logger

log = get_logger(component="http_server")
_log_once = LogOnce(60.0)


_UNREADABLE = Refusal(400, "unreadable_request", None,
                      "Permintaan HTTP tidak dapat dibaca (baris permintaan atau header rusak atau terlalu panjang).",
                      "The HTTP request cannot be read (a malformed or overlong request line or header).", close=True)


class _OncePerMinute(logging.Filter):
    """Lets uvicorn's warning about an unreadable request through once a minute (a flood of them must
    not flood the log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage() != "Invalid HTTP request received.":
            return True
        return _log_once(("uvicorn", "unreadable_request")) is not None


def _timeout_response(seconds: float) -> bytes:
    refusal = Refusal(408, "header_timeout", None,
                      f"Permintaan tidak selesai terkirim dalam {seconds:g} detik.",
                      f"The request did not arrive within {seconds:g} seconds.", close=True)
    headers, body = refusal.render(as_html=False)
    head = b"HTTP/1.1 408 Request Timeout\r\n" + b"".join(k + b": " + v + b"\r\n" for k, v in headers)
    return head + b"\r\n" + body


class HeaderDeadlineProtocol(H11Protocol):
    header_timeout_s: float = 10.0
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            if self._head_timer is None:
                self._arm()  # a request head has begun and is not complete yet
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._head_timer = self.loop.call_later(self.header_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def send_400_response(self, msg: str) -> None:
        headers, body = _UNREADABLE.render(as_html=False)
        self.transport.write(self.conn.send(h11.Response(status_code=400, headers=headers, reason=b"Bad Request")))
        self.transport.write(self.conn.send(h11.Data(data=body)))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()

    def _too_slow(self) -> None:
        self._head_timer = None
        if self.conn.their_state is not h11.IDLE or self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request is still being answered
        client = self.client[0] if self.client else "unknown"
        held_back = _log_once((client, "header_timeout"))
        if held_back is not None:
            log.warning("http_refused", code="header_timeout", status=408, client=client, not_logged_since=held_back)
        self.transport.write(_timeout_response(self.header_timeout_s))
        self.transport.close()


def with_header_deadline(seconds: float) -> type[HeaderDeadlineProtocol]:
    """The protocol class to give uvicorn (``http=``), with this deadline."""
    uvicorn_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _OncePerMinute) for f in uvicorn_log.filters):
        uvicorn_log.addFilter(_OncePerMinute())
    return type("HeaderDeadlineProtocol", (HeaderDeadlineProtocol,), {"header_timeout_s": seconds})
