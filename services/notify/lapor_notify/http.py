"""Notify's HTTP API: the reporter's in-app inbox, for the status page.

``GET /api/v1/inbox/{tracking_number}`` → ``{"tracking_number": …, "messages": [{id, template, subject,
body, created_at}]}``: the messages notify sent the reporter of that complaint, oldest first. Since the
tracking number alone opens this page: no contact details and no reporter's key (messages never hold
them here), no free-text reasons of a forwarding, hold or archiving, and a rahasia complaint answers
exactly as a number without messages does (its reporter reads the gateway's tracking page).

Served by the runtime's app behind the HTTP guard, it counts against the caller's look-up rate limit and
reads through public HTTP's own pool. Errors carry the shared shape (``{"status": "error", "reasons":
[...]}``) and, for older clients, ``error``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from lapor_notify import repository
from lapor_shared.http_errors import Refusal, json_response
from lapor_shared.http_limits import PublicRoute

if TYPE_CHECKING:
    from lapor_notify.app import Notify

INBOX_PREFIX = "/api/v1/inbox/"
PUBLIC_ROUTES = (PublicRoute("lookup", INBOX_PREFIX),)
TRACKING_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9*~$=-]{3,39}$")
"""What could be a tracking number (any of Crockford's check symbols); the database says whether it is one."""


def _refusal(code: str, message_id: str, message_en: str) -> Refusal:
    """A 404 with, for older clients, ``error`` holding the reason too."""
    return Refusal(404, code, None, message_id, message_en,
                   extra={"error": {"code": code, "message_id": message_id, "message_en": message_en}})


def routes(service: Notify) -> list[BaseRoute]:
    async def inbox(request: Request) -> Response:
        tracking_number = unquote(request.path_params["tracking_number"]).strip().upper()
        if not TRACKING_NUMBER.match(tracking_number):
            raise _refusal("unknown_tracking_number", "Nomor pelacakan tidak dikenal.", "Unknown tracking number.")
        async with service.runtime.http_pool.acquire() as conn:
            rows = await repository.reporter_inbox(conn, tracking_number)
        if not rows:
            raise _refusal("unknown_tracking_number", "Belum ada pesan untuk nomor ini.",
                           "No messages for this tracking number yet.")
        return json_response({
            "tracking_number": tracking_number,
            "messages": [
                {"id": str(r["delivery_id"]), "template": r["template"], "subject": r["subject"], "body": r["body"],
                 "created_at": r["created_at"].isoformat()}
                for r in rows
            ],
        })

    return [Route(INBOX_PREFIX + "{tracking_number:path}", inbox, methods=["GET"])]
