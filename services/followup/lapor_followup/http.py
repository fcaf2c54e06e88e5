"""The read models over HTTP, as JSON (plain ASGI apps mounted by app.py through ``runtime.asgi_app``).

| path | who | what |
|---|---|---|
| ``GET /v1/status?tracking_number=LPR-…`` | anyone with the tracking number | status and history in Bahasa Indonesia |
| ``GET /v1/worklist`` + ``Authorization: Bearer <token>`` | one agency | its open complaints, nearest deadline first |
| ``GET /v1/statistics?jurisdiction=18`` | anyone | counts and measures of a subtree (no content) |

The work-list token names exactly one agency (table ``agency_credentials``, only SHA-256 stored), so
an agency can never read another's list: the agency comes from the token, never from the request.

Every route reads through public HTTP's own pool (``Runtime.http_pool``: a statement timeout, apart
from the consumers' connections) and counts against the caller's look-up rate limit; errors carry the
shared shape (``{"status": "error", "reasons": [...]}``) and, for older clients, ``error``,
``message_id`` and ``message_en`` at the top.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from lapor_followup import readmodels, repository
from lapor_followup.context import Context
from lapor_followup.states import OWED
from lapor_shared.http_errors import error_document, reason
from lapor_shared.http_limits import PublicRoute
from lapor_shared.logging import get_logger
from lapor_shared.regions import is_known
from lapor_shared.runtime import Runtime

log = get_logger(component="followup.http")

PUBLIC_ROUTES = (PublicRoute("lookup", "/v1/"),)
"""Status, work list and statistics: each counts against the caller's look-up rate limit."""

ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]
OWED_VALUES = sorted(s.value for s in OWED)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_tokens(spec: str) -> list[tuple[str, str]]:
    """``'umum.18.71=secret1,umum.18=secret2'`` → ``[(agency_id, token), …]``."""
    pairs = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        agency_id, sep, token = item.partition("=")
        if not sep or not agency_id.strip() or not token.strip():
            raise ValueError("agency_tokens must look like 'agency_id=token[,agency_id=token…]'")
        pairs.append((agency_id.strip(), token.strip()))
    return pairs


async def sync_credentials(runtime: Runtime, spec: str) -> None:
    for agency_id, token in parse_tokens(spec):
        await repository.add_credential(runtime.pool, token_sha256=token_hash(token), agency_id=agency_id,
                                        label="settings")


class ReadApi:
    def __init__(self, runtime: Runtime, ctx: Context, *, worklist_limit: int = 500) -> None:
        self._runtime = runtime
        self._ctx = ctx
        self._limit = worklist_limit

    def routes(self) -> list[tuple[str, ASGIApp]]:
        return [("/v1/status", self.status), ("/v1/worklist", self.worklist), ("/v1/statistics", self.statistics)]

    async def status(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not await _get_only(scope, send):
            return
        number = _query(scope).get("tracking_number", "").strip().upper()
        if not number:
            await _error(send, 400, "tracking_number_required", "Nomor pelacakan (tracking_number) wajib diisi.",
                         "The tracking_number query parameter is required.")
            return
        async with self._runtime.http_pool.acquire() as conn:
            case = await repository.complaint_by_tracking(conn, number)
            history = await repository.history_of(conn, case["complaint_id"]) if case else []
        if case is None:
            await _error(send, 404, "not_found", "Laporan dengan nomor pelacakan ini tidak ditemukan.",
                         "No complaint has this tracking number.")
            return
        await _json(send, 200, readmodels.reporter_view(case, history))

    async def worklist(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not await _get_only(scope, send):
            return
        token = _bearer(scope)
        agency_id = await repository.agency_for_token(self._runtime.http_pool, token_hash(token)) if token else None
        if agency_id is None:
            await _error(send, 401, "unauthorised", "Kredensial instansi diperlukan.",
                         "An agency credential (Authorization: Bearer <token>) is required.",
                         headers=[(b"www-authenticate", b'Bearer realm="lapor-followup"')])
            return
        asked = _query(scope).get("agency_id")
        if asked and asked != agency_id:
            log.warning("worklist_other_agency_refused", agency_id=agency_id, asked=asked)
            await _error(send, 403, "forbidden", "Instansi hanya dapat melihat daftar kerjanya sendiri.",
                         "An agency can only read its own work list.")
            return
        now = self._ctx.clock.now()
        async with self._runtime.http_pool.acquire() as conn:
            rows = await repository.worklist(conn, agency_id, owed=OWED_VALUES, limit=self._limit)
            notes = await repository.internal_notes_of(conn, [r["complaint_id"] for r in rows])
        items = [readmodels.worklist_item(r, notes.get(r["complaint_id"], []), now) for r in rows]
        await _json(send, 200, {"agency_id": agency_id, "as_of": now.isoformat(), "count": len(items),
                                "items": items})

    async def statistics(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not await _get_only(scope, send):
            return
        code = _query(scope).get("jurisdiction", "ID").strip()
        if not is_known(code):
            await _error(send, 404, "unknown_jurisdiction", "Kode wilayah tidak dikenal.",
                         "Unknown jurisdiction code (use ID, a province such as 18 or a regency such as 18.71).")
            return
        await _json(send, 200, await self.statistics_of(code))

    async def statistics_of(self, code: str) -> dict[str, Any]:
        now = self._ctx.clock.now()
        async with self._runtime.http_pool.acquire() as conn:
            stats = await repository.statistics(conn, code, now=now, owed=OWED_VALUES)
            children = await repository.child_counts(conn, code, now=now, owed=OWED_VALUES)
        return readmodels.statistics_view(code, stats, children, now)


def _query(scope: dict[str, Any]) -> dict[str, str]:
    parsed = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return {k: v[0] for k, v in parsed.items() if v}


def _bearer(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


async def _get_only(scope: dict[str, Any], send: Any) -> bool:
    if scope.get("method") in ("GET", "HEAD"):
        return True
    await _error(send, 405, "method_not_allowed", "Hanya GET.", "Only GET is allowed.",
                 headers=[(b"allow", b"GET, HEAD")])
    return False


async def _error(send: Any, status: int, code: str, message_id: str, message_en: str,
                 headers: list[tuple[bytes, bytes]] | None = None) -> None:
    document = error_document(reason(code, None, message_id, message_en),
                              error=code, message_id=message_id, message_en=message_en)
    await _json(send, status, document, headers)


async def _json(send: Any, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json; charset=utf-8"), (b"cache-control", b"no-store"),
                    (b"content-length", str(len(data)).encode()), *(headers or [])],
    })
    await send({"type": "http.response.body", "body": data})
