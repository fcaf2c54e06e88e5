"""The console's pages (Starlette + Jinja2, server-rendered, Bahasa Indonesia by default): the work list,
the complaint page, the log-in, the live stream. ``actions.py`` holds the forms that send commands,
``http.py`` the paths.

Every page asks ``Pages.officer(request)`` first (not logged in → the login page). Every read of a
complaint is bound to the officer's agency in SQL (``repository.complaint``): another agency's complaint
answers 404, exactly like an unknown number.
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
from urllib.parse import urlencode

import asyncpg
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse

from lapor_console import auth, i18n, projection, repository, views
from lapor_console.evidence import ConsoleEvidence
from lapor_console.settings import ConsoleSettings
from lapor_shared import web_sessions
from lapor_shared.logging import get_logger
from lapor_shared.web_pages import (
    SECURITY_HEADERS,
    LoginForm,
    lang_of,
    page_templates,
    remember_lang,
    safe_next,
    sign_in,
    sign_out,
    when,
)

log = get_logger(component="console.web")


class Unauthenticated(Exception):
    pass


class Pages:
    def __init__(self, settings: ConsoleSettings, pool: Callable[[], asyncpg.Pool], evidence: ConsoleEvidence) -> None:
        self.settings = settings
        self.evidence = evidence
        self._pool = pool
        self.sessions = auth.Sessions(settings)
        self.templates = page_templates(Path(__file__).parent / "templates")

    @property
    def pool(self) -> asyncpg.Pool:
        return self._pool()

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def user(self, request: Request) -> auth.Officer | None:
        username = await self.sessions.username(self.pool, request.cookies.get(auth.SESSION_COOKIE))
        return await auth.load(self.pool, username) if username else None

    async def officer(self, request: Request) -> auth.Officer:
        officer = await self.user(request)
        if officer is None:
            raise Unauthenticated
        return officer

    def csrf(self, request: Request) -> str:
        session_id = self.sessions.session_id(request.cookies.get(auth.SESSION_COOKIE)) or ""
        return web_sessions.csrf_token(self.settings.session_secret, session_id)

    def csrf_ok(self, request: Request, given: str | None) -> bool:
        session_id = self.sessions.session_id(request.cookies.get(auth.SESSION_COOKIE))
        return web_sessions.csrf_ok(self.settings.session_secret, session_id, given)

    async def complaint_of(self, officer: auth.Officer, tracking_number: str) -> asyncpg.Record:
        record = await repository.complaint(self.pool, officer.agency_id, tracking_number)
        if record is None:
            log.info("complaint_not_found_for_agency", agency_id=officer.agency_id)
            raise HTTPException(404)
        return record

    # --- rendering ------------------------------------------------------------------------------

    def context(self, request: Request, lang: str, **extra: Any) -> dict[str, Any]:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        zone = self.settings.time_zone
        return {
            "lang": lang, "other_lang": "en" if lang == "id" else "id", "t": i18n.translator(lang),
            "path": request.url.path, "query_without_lang": urlencode(kept), "user": None,
            "demo": self.settings.demo_users, "status_label": i18n.status_label, "event_label": i18n.event_label,
            "command_label": i18n.command_label, "stage_label": i18n.stage_label,
            "when": lambda at, lang=lang: when(at, lang, zone),
            "agency_name": views.agency_name, **extra,
        }

    def render(self, request: Request, template: str, lang: str, **extra: Any) -> str:
        return self.templates.get_template(template).render(self.context(request, lang, **extra))

    def html(self, request: Request, template: str, lang: str, status_code: int = 200, **extra: Any) -> HTMLResponse:
        response = HTMLResponse(self.render(request, template, lang, **extra), status_code)
        remember_lang(request, response, lang)
        return response

    # --- log-in ---------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        return await self.worklist(request)

    async def login_form(self, request: Request) -> Response:
        return self.html(request, "login.html", lang_of(request), next=safe_next(request.query_params.get("next")),
                         failed=False, username="")

    async def login(self, request: Request) -> Response:
        def refused(form: LoginForm) -> Response:
            log.info("login_failed")
            return self.html(request, "login.html", lang_of(request), 401, next=form.target, failed=True,
                             username=form.username)

        # strict: a link from another site does not even carry the officer's session (CSRF, beside the tokens)
        response, officer = await sign_in(
            request, self.sessions, self.pool, authenticate=partial(auth.authenticate, self.pool), refused=refused,
            cookie=auth.SESSION_COOKIE, landing="/", secure=self.settings.cookie_secure, samesite="strict",
        )
        if officer is not None:
            log.info("login_succeeded", agency_id=officer.agency_id, role=officer.role)
        return response

    async def logout(self, request: Request) -> Response:
        return await sign_out(request, self.sessions, self.pool, cookie=auth.SESSION_COOKIE)

    # --- the work list and the complaint page ---------------------------------------------------

    async def worklist(self, request: Request) -> Response:
        lang = lang_of(request)
        officer = await self.officer(request)
        wanted = views.Filters.of(request.query_params)
        live = await self.worklist_live(officer, wanted, lang)
        choices = await repository.filter_choices(self.pool, officer.agency_id)
        stream = "/events/stream?" + urlencode({**wanted.query(), "lang": lang})
        return self.html(request, "worklist.html", lang, user=officer, wanted=wanted, choices=choices, stream=stream,
                         live=self.render(request, "_worklist_live.html", lang, user=officer, **live))

    async def worklist_live(self, officer: auth.Officer, wanted: views.Filters, lang: str) -> dict[str, Any]:
        s, now = self.settings, self.now()
        warning_s = s.warning_hours * 3600
        rows = await repository.worklist(self.pool, officer.agency_id, limit=s.worklist_limit, **wanted.sql())
        counts = await repository.counts(self.pool, officer.agency_id, now, warning_s)
        items = [views.WorkItem.of(r, projection.urgency(r["status"], r["due_at"], r["overdue"], now, warning_s))
                 for r in rows]
        figures = (views.figures(await repository.agency_figures(self.pool, officer.agency_id), lang)
                   if officer.supervisor else None)
        return {"items": items, "counts": counts, "figures": figures}

    async def complaint(self, request: Request) -> Response:
        lang = lang_of(request)
        officer = await self.officer(request)
        record = await self.complaint_of(officer, request.path_params["tracking_number"])
        query = (request.query_params.get("agency_q") or "").strip()[:100]
        candidates = views.agency_search(query, officer.agency_id, await repository.agency_names(self.pool)) \
            if query else []
        stream = "/events/stream?" + urlencode({"complaint": record["tracking_number"], "lang": lang})
        response = self.html(request, "complaint.html", lang, user=officer, c=record, csrf=self.csrf(request),
                             agency_q=query, candidates=candidates, stream=stream, nonce=views.nonce(),
                             files=self.evidence.links(record["evidence"], officer.agency_id),
                             limits=self.evidence.settings.limits,
                             live=self.render(request, "_complaint_live.html", lang, user=officer,
                                              **await self.complaint_live(officer, record)))
        if origin := self.evidence.image_source():  # the thumbnails come from the gateway's /bukti (live ones too)
            policy = SECURITY_HEADERS["Content-Security-Policy"]
            response.headers["content-security-policy"] = policy.replace("img-src 'self'", f"img-src 'self' {origin}")
        return response

    async def complaint_live(self, officer: auth.Officer, record: asyncpg.Record) -> dict[str, Any]:
        lines = await repository.lines(self.pool, record["complaint_id"], officer.agency_id)
        actions = await repository.actions_of(self.pool, record["complaint_id"], officer.agency_id)
        now, warning_s = self.now(), self.settings.warning_hours * 3600
        return {"c": record, "steps": views.timeline(lines, actions),
                "sign_files": lambda raw: self.evidence.links(raw, officer.agency_id),
                "actions": [views.ActionView.of(a) for a in reversed(actions)][:5],
                "urgency": projection.urgency(record["status"], record["due_at"], record["overdue"], now, warning_s)}

    # --- live -----------------------------------------------------------------------------------

    async def stream(self, request: Request) -> Response:
        lang = lang_of(request)
        officer = await self.officer(request)
        tracking_number = request.query_params.get("complaint")
        record = await self.complaint_of(officer, tracking_number) if tracking_number else None
        return StreamingResponse(self.live(request, officer, record, lang), media_type="text/event-stream",
                                 headers={"X-Accel-Buffering": "no"})

    async def live(self, request: Request, officer: auth.Officer, record: asyncpg.Record | None,
                   lang: str) -> AsyncIterator[str]:
        """Server-sent events: ``update`` with the re-rendered live part whenever the agency's complaints
        (or this complaint) changed, a comment line otherwise; the stream ends after ``live_max_stream_s``."""
        s = self.settings
        wanted = views.Filters.of(request.query_params)
        yield f"retry: {int(s.live_interval_s * 1000)}\n\n"
        sent = None
        ends = time.monotonic() + s.live_max_stream_s
        while time.monotonic() < ends:
            try:
                if record is None:
                    mark = await repository.fingerprint(self.pool, officer.agency_id) + str(int(time.time() // 60))
                else:
                    mark = await repository.complaint_fingerprint(self.pool, record["complaint_id"])
                if mark != sent:
                    sent = mark
                    yield "event: update\ndata: " + json.dumps({"html": await self._live_html(
                        request, officer, record, wanted, lang)}, ensure_ascii=False) + "\n\n"
                else:
                    yield ": unchanged\n\n"
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("live_update_failed", error=repr(exc))
                yield ": retrying\n\n"
            await asyncio.sleep(s.live_interval_s)

    async def _live_html(self, request: Request, officer: auth.Officer, record: asyncpg.Record | None,
                         wanted: views.Filters, lang: str) -> str:
        if record is None:
            return self.render(request, "_worklist_live.html", lang, user=officer,
                               **await self.worklist_live(officer, wanted, lang))
        fresh = await repository.complaint(self.pool, officer.agency_id, record["tracking_number"])
        if fresh is None:  # forwarded away meanwhile
            return self.render(request, "_gone.html", lang)
        return self.render(request, "_complaint_live.html", lang, user=officer,
                           **await self.complaint_live(officer, fresh))
