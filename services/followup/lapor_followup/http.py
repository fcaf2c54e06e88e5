"""The read models over HTTP, as JSON (``routes``, served by the runtime's app).

| path | who | what |
|---|---|---|
| ``GET /v1/status?tracking_number=LPR-…`` | anyone with the tracking number | status and history (1) |
| ``GET /v1/worklist`` + ``Authorization: Bearer <token>`` | one agency | its open complaints, nearest deadline first |
| ``GET /v1/statistics?jurisdiction=18`` | anyone | counts and measures of a subtree (no content) |

(1) A rahasia complaint is not the public's to see: it answers exactly as a number no complaint has.
Its reporter follows it on the gateway's tracking page with the reporter's key.

The work-list token names exactly one agency (table ``agency_credentials``, only SHA-256 stored), so
an agency can never read another's list: the agency comes from the token, never from the request.

Every route reads through public HTTP's own pool (``Runtime.http_pool``: a statement timeout, apart
from the consumers' connections) and counts against the caller's look-up rate limit; errors carry the
shared shape (``{"status": "error", "reasons": [...]}``) and, for older clients, ``error``,
``message_id`` and ``message_en`` at the top.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from lapor_followup import read_queries, readmodels, repository
from lapor_followup.context import Context
from lapor_followup.settings import FollowupSettings
from lapor_followup.states import OWED
from lapor_shared.bearer import TokenTable, bearer, parse_tokens, token_hash
from lapor_shared.http_errors import Refusal, json_response
from lapor_shared.http_limits import PublicRoute
from lapor_shared.logging import get_logger
from lapor_shared.regions import is_known
from lapor_shared.runtime import Runtime

if TYPE_CHECKING:
    from lapor_followup.app import Followup

log = get_logger(component="followup.http")

PUBLIC_ROUTES = (PublicRoute("lookup", "/v1/"),)
"""Status, work list and statistics: each counts against the caller's look-up rate limit."""

OWED_VALUES = sorted(s.value for s in OWED)


CREDENTIALS = TokenTable("agency_credentials", "agency_id")
"""Work-list tokens, each bound to one agency (the shared mechanism, ``lapor_shared.bearer``)."""


async def sync_credentials(runtime: Runtime, spec: str) -> None:
    await CREDENTIALS.sync(runtime.pool, parse_tokens(spec, subject="agency_id"))


class ReadApi:
    """The read models, one method per route; each reads through public HTTP's own pool."""

    def __init__(self, runtime: Runtime[FollowupSettings], ctx: Context) -> None:
        self._runtime = runtime
        self._ctx = ctx
        self._limit = runtime.settings.worklist_limit

    async def status(self, request: Request) -> Response:
        number = request.query_params.get("tracking_number", "").strip().upper()
        if not number:
            raise _refusal(400, "tracking_number_required", "Nomor pelacakan (tracking_number) wajib diisi.",
                           "The tracking_number query parameter is required.")
        async with self._runtime.http_pool.acquire() as conn:
            case = await repository.complaint_by_tracking(conn, number)
            history = await repository.history_of(conn, case["complaint_id"]) if case and not case["confidential"] \
                else []
        if case is None or case["confidential"]:  # rahasia: not the public's to see, said as "no such number"
            raise _refusal(404, "not_found", "Laporan dengan nomor pelacakan ini tidak ditemukan.",
                           "No complaint has this tracking number.")
        return json_response(readmodels.reporter_view(case, history))

    async def worklist(self, request: Request) -> Response:
        token = bearer(request)
        agency_id = await CREDENTIALS.subject_for(self._runtime.http_pool, token_hash(token)) if token else None
        if agency_id is None:
            raise _refusal(401, "unauthorised", "Kredensial instansi diperlukan.",
                           "An agency credential (Authorization: Bearer <token>) is required.",
                           headers=(("www-authenticate", 'Bearer realm="lapor-followup"'),))
        asked = request.query_params.get("agency_id")
        if asked and asked != agency_id:
            log.warning("worklist_other_agency_refused", agency_id=agency_id, asked=asked)
            raise _refusal(403, "forbidden", "Instansi hanya dapat melihat daftar kerjanya sendiri.",
                           "An agency can only read its own work list.")
        now = self._ctx.clock.now()
        async with self._runtime.http_pool.acquire() as conn:
            rows = await read_queries.worklist(conn, agency_id, owed=OWED_VALUES, limit=self._limit)
            notes = await repository.internal_notes_of(conn, [r["complaint_id"] for r in rows])
        items = [readmodels.worklist_item(r, notes.get(r["complaint_id"], []), now) for r in rows]
        return json_response({"agency_id": agency_id, "as_of": now.isoformat(), "count": len(items), "items": items})

    async def statistics(self, request: Request) -> Response:
        code = (request.query_params.get("jurisdiction") or "ID").strip()
        if not is_known(code):
            raise _refusal(404, "unknown_jurisdiction", "Kode wilayah tidak dikenal.",
                           "Unknown jurisdiction code (use ID, a province such as 18 or a regency such as 18.71).")
        now = self._ctx.clock.now()
        async with self._runtime.http_pool.acquire() as conn:
            stats = await read_queries.statistics(conn, code, now=now, owed=OWED_VALUES)
            children = await read_queries.child_counts(conn, code, now=now, owed=OWED_VALUES)
        return json_response(readmodels.statistics_view(code, stats, children, now))


def routes(service: Followup) -> list[BaseRoute]:
    api = ReadApi(service.runtime, service.ctx)
    return [Route("/v1/status", api.status, methods=["GET"]), Route("/v1/worklist", api.worklist, methods=["GET"]),
            Route("/v1/statistics", api.statistics, methods=["GET"])]


def _refusal(status: int, code: str, message_id: str, message_en: str,
             headers: tuple[tuple[str, str], ...] = ()) -> Refusal:
    """A refusal with, for older clients, ``error``, ``message_id`` and ``message_en`` at the top too."""
    return Refusal(status, code, None, message_id, message_en, headers=headers,
                   extra={"error": code, "message_id": message_id, "message_en": message_en})

