"""Notify's HTTP API: the reporter's in-app inbox, for the status page.

``GET /api/v1/inbox/{tracking_number}`` → ``{"tracking_number": …, "messages": [{id, template, subject,
body, created_at}]}``: the messages notify sent the reporter of that complaint, oldest first. No contact
details (messages never contain them) and no rahasia content (inbox messages of confidential complaints
are rendered without it), since the tracking number alone opens this page.

Mounted by ``app.py`` through ``Runtime.asgi_app(mounts=…)``, so it sits behind the HTTP guard and
counts against the caller's look-up rate limit; it reads through public HTTP's own pool. Errors carry
the shared shape (``{"status": "error", "reasons": [...]}``) and, for older clients, ``error``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote

import asyncpg

from lapor_notify import repository
from lapor_shared.http_errors import error_document, reason
from lapor_shared.http_limits import PublicRoute

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

INBOX_PREFIX = "/api/v1/inbox/"
PUBLIC_ROUTES = (PublicRoute("lookup", INBOX_PREFIX),)
TRACKING_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{3,39}$")


async def _respond(send: Send, status: int, document: dict[str, Any]) -> None:
    body = json.dumps(document, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]})
    await send({"type": "http.response.body", "body": body})


def _error(code: str, message_id: str, message_en: str) -> dict[str, Any]:
    return error_document(reason(code, None, message_id, message_en),
                          error={"code": code, "message_id": message_id, "message_en": message_en})


class InboxApi:
    def __init__(self, pool: Callable[[], asyncpg.Pool]) -> None:
        self._pool = pool

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await _respond(send, 405, _error("method_not_allowed", "Hanya GET.", "Only GET."))
            return
        tracking_number = unquote(scope["path"][len(INBOX_PREFIX):]).strip().upper()
        if not TRACKING_NUMBER.match(tracking_number):
            await _respond(send, 404, _error("unknown_tracking_number", "Nomor pelacakan tidak dikenal.",
                                             "Unknown tracking number."))
            return
        async with self._pool().acquire() as conn:
            rows = await repository.reporter_inbox(conn, tracking_number)
        if not rows:
            await _respond(send, 404, _error("unknown_tracking_number", "Belum ada pesan untuk nomor ini.",
                                             "No messages for this tracking number yet."))
            return
        await _respond(send, 200, {
            "tracking_number": tracking_number,
            "messages": [
                {"id": str(r["delivery_id"]), "template": r["template"], "subject": r["subject"], "body": r["body"],
                 "created_at": r["created_at"].isoformat()}
                for r in rows
            ],
        })
