"""The dashboard's web pages (Starlette + Jinja2, server-rendered, Bahasa Indonesia by default): one
method of ``Pages`` per page, each short; they share the viewer check and the renderer. ``http.py``
gives them their paths.

Every page that shows figures or complaints asks ``Pages.viewer(request, node)`` first: not logged in
→ the login page (401 for the CSV and the live stream), a node outside the user's scope → 403. The live
stream (``/events/stream?node=…``) is a server-sent event stream that pushes the re-rendered figures
whenever they change; the page's few lines of JavaScript swap them in without a reload.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import asyncpg
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from lapor_dashboard import auth, charts, evidence, figures, i18n, projection, repository, scope, tables
from lapor_dashboard.figures import NodeFigures
from lapor_dashboard.settings import DashboardSettings
from lapor_shared.logging import get_logger
from lapor_shared.web_pages import LoginForm, lang_of, page_templates, remember_lang, safe_next, sign_in, sign_out

log = get_logger(component="dashboard.web")

RECOMPUTE_AT_LEAST_S = 30.0
"""The live stream recomputes at least this often even when no complaint changed ("overdue now" moves
with the clock); otherwise only when the node's complaints changed."""


class Unauthenticated(Exception):
    pass


class Pages:
    def __init__(self, settings: DashboardSettings, pool: Callable[[], asyncpg.Pool]) -> None:
        self.settings = settings
        self._pool = pool
        self.sessions = auth.Sessions(settings)
        self.templates = page_templates(Path(__file__).parent / "templates")

    @property
    def pool(self) -> asyncpg.Pool:
        return self._pool()

    # --- who and what ------------------------------------------------------------------------------

    async def user(self, request: Request) -> auth.User | None:
        username = await self.sessions.username(self.pool, request.cookies.get(auth.SESSION_COOKIE))
        return await auth.load_user(self.pool, username) if username else None

    async def viewer(self, request: Request, node: str | None) -> tuple[auth.User, str]:
        """The logged-in user and the node they asked for (their scope when none); raises when they
        are not logged in (``Unauthenticated``), the node is unknown (404) or outside their scope (403)."""
        user = await self.user(request)
        if user is None:
            raise Unauthenticated
        node = (node or user.scope).strip()
        if not scope.known(node):
            raise HTTPException(404)
        if not scope.contains(user.scope, node):
            log.warning("scope_refused", scope=user.scope, node=node, path=request.url.path)
            raise HTTPException(403)
        return user, node

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def figures(self, node: str, user: auth.User, *, overdue_limit: int | None) -> figures.NodeFigures:
        s = self.settings
        async with self.pool.acquire() as conn:
            return await figures.load(
                conn, node, now=self.now(), viewer_scope=user.scope, zone=s.time_zone, trend_days=s.trend_days,
                trend_weeks=s.trend_weeks, overdue_limit=overdue_limit,
            )

    # --- rendering ------------------------------------------------------------------------------

    def context(self, request: Request, lang: str, **extra: Any) -> dict[str, Any]:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        return {
            "lang": lang, "other_lang": "en" if lang == "id" else "id", "t": i18n.translator(lang),
            "path": request.url.path, "query_without_lang": urlencode(kept), "name_of": scope.name_of,
            "user": None, "demo": self.settings.demo_users,
            "status_label": i18n.status_label, "when": i18n.when, "zone": self.settings.time_zone, **extra,
        }

    def html(self, request: Request, template: str, lang: str, status_code: int = 200, **extra: Any) -> HTMLResponse:
        body = self.templates.get_template(template).render(self.context(request, lang, **extra))
        response = HTMLResponse(body, status_code)
        remember_lang(request, response, lang)
        return response

    def live_context(self, f: NodeFigures, user: auth.User, lang: str) -> dict[str, Any]:
        built = {name: build(f, lang) for name, build in tables.BUILDERS.items()}
        return {
            "f": f, "node": f.node, "user": user, "tables": built, "kpi": tables.kpis(built["summary"]),
            "charts": charts.charts(f, lang),
            "level": scope.level_of(f.node), "updated": i18n.when(f.now, lang, self.settings.time_zone),
            "fingerprint": f.fingerprint(),
        }

    # --- pages ----------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        user = await self.user(request)
        return RedirectResponse("/dashboard" if user else "/login", 303)

    async def login_form(self, request: Request) -> Response:
        return self.html(request, "login.html", lang_of(request), next=safe_next(request.query_params.get("next")),
                         failed=False, username="")

    async def login(self, request: Request) -> Response:
        def refused(form: LoginForm) -> Response:
            log.info("login_failed")
            return self.html(request, "login.html", lang_of(request), 401, next=form.target, failed=True,
                             username=form.username)

        response, user = await sign_in(
            request, self.sessions, self.pool, authenticate=partial(auth.authenticate, self.pool), refused=refused,
            cookie=auth.SESSION_COOKIE, landing="/dashboard", secure=self.settings.cookie_secure,
        )
        if user is not None:
            log.info("login_succeeded", scope=user.scope, role=user.role)
        return response

    async def logout(self, request: Request) -> Response:
        return await sign_out(request, self.sessions, self.pool, cookie=auth.SESSION_COOKIE)

    async def dashboard(self, request: Request) -> Response:
        lang = lang_of(request)
        user, node = await self.viewer(request, request.query_params.get("node"))
        f = await self.figures(node, user, overdue_limit=self.settings.overdue_list_limit)
        stream = "/events/stream?" + urlencode({"node": node, "lang": lang})
        return self.html(request, "dashboard.html", lang, crumbs=scope.path(node, user.scope), stream=stream,
                         interval_s=self.settings.live_interval_s, **self.live_context(f, user, lang))

    async def export(self, request: Request) -> Response:
        lang = lang_of(request)
        name = request.path_params["table"]
        if name not in tables.BUILDERS:
            raise HTTPException(404)
        user, node = await self.viewer(request, request.query_params.get("node"))
        f = await self.figures(node, user, overdue_limit=None if name == "overdue" else 0)
        table = tables.BUILDERS[name](f, lang)
        return csv_response(table, f"lapor-{name}-{node}.csv")

    async def complaint(self, request: Request) -> Response:
        lang = lang_of(request)
        user = await self.user(request)
        if user is None:
            raise Unauthenticated
        record = await repository.complaint_by_tracking(self.pool, request.path_params["tracking_number"])
        if record is None:
            raise HTTPException(404)
        if not scope.contains(user.scope, record["jurisdiction_code"]):
            log.warning("scope_refused", scope=user.scope, node=record["jurisdiction_code"], path="/complaints")
            raise HTTPException(403)
        entries = await repository.events_of(self.pool, record["complaint_id"])
        steps = projection.history(entries)
        table = tables.history(steps, lang, self.settings.time_zone)
        if request.query_params.get("format") == "csv":
            return csv_response(table, f"lapor-riwayat-{record['tracking_number']}.csv")
        title = scope.shown_title(record["title"], confidential=record["confidential"],
                                  responsible_code=record["responsible_code"], viewer_scope=user.scope)
        crumbs = scope.path(record["jurisdiction_code"], user.scope)
        signer = self.settings.evidence.signer()
        visible = not record["confidential"] or scope.content_visible(user.scope, record["responsible_code"])
        files = evidence.links(evidence.references(entries), signer, viewer_scope=user.scope) if visible else []
        response = self.html(request, "complaint.html", lang, user=user, c=record, title=title, table=table,
                             crumbs=crumbs, node=record["jurisdiction_code"], files=files,
                             csv=f"/complaints/{quote(record['tracking_number'], safe='')}?format=csv")
        if files and (origin := evidence.image_source(signer)):  # the thumbnails come from the gateway
            from lapor_dashboard.http import SECURITY_HEADERS  # http imports this module

            policy = SECURITY_HEADERS["Content-Security-Policy"]
            response.headers["content-security-policy"] = policy.replace("img-src 'self'", f"img-src 'self' {origin}")
        return response

    async def stream(self, request: Request) -> Response:
        lang = lang_of(request)
        user, node = await self.viewer(request, request.query_params.get("node"))
        return StreamingResponse(self.live(request, user, node, lang), media_type="text/event-stream",
                                 headers={"X-Accel-Buffering": "no"})

    async def live(self, request: Request, user: auth.User, node: str, lang: str) -> AsyncIterator[str]:
        """Server-sent events: ``figures`` with the re-rendered live part whenever it changed, a comment
        line otherwise; the stream ends after ``live_max_stream_s`` and the browser reconnects."""
        s = self.settings
        template = self.templates.get_template("_live.html")
        yield f"retry: {int(s.live_interval_s * 1000)}\n\n"
        sent, checked, computed_at = None, None, 0.0
        ends = time.monotonic() + s.live_max_stream_s
        while time.monotonic() < ends:
            try:
                mark = await repository.fingerprint(self.pool, node)
                if mark != checked or time.monotonic() - computed_at >= RECOMPUTE_AT_LEAST_S:
                    f = await self.figures(node, user, overdue_limit=s.overdue_list_limit)
                    checked, computed_at = mark, time.monotonic()
                    if f.fingerprint() != sent:
                        ctx = self.context(request, lang, **self.live_context(f, user, lang))
                        data = {"html": template.render(ctx), "updated": ctx["updated"], "total": f.total.total}
                        sent = f.fingerprint()
                        yield "event: figures\ndata: " + json.dumps(data, ensure_ascii=False) + "\n\n"
                    else:
                        yield ": unchanged\n\n"
                else:
                    yield ": unchanged\n\n"
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("live_update_failed", error=repr(exc))
                yield ": retrying\n\n"
            await asyncio.sleep(s.live_interval_s)


def csv_response(table: tables.Table, filename: str) -> Response:
    return Response(
        "\ufeff" + table.csv(), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
