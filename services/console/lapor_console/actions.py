"""The forms that send commands: acknowledge, respond, request an extension (previewed, then confirmed),
resolve, forward. Each checks the form's CSRF token (a page of another site cannot post in the officer's
name), finds the complaint *within the officer's agency* (another agency's answers 404, and nothing is
published), builds the command with the account's agency (``commands``) and waits briefly for its outcome.

The response form is multipart and may carry files: only after those checks are they sanitised, stored
and claimed (``evidence``), then named by the command; a refused file refuses the whole form, with its
reason, and nothing is published.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import quote
from uuid import uuid4

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from lapor_console import commands, repository
from lapor_console.evidence import ConsoleEvidence, FilesRefused, files_of, is_multipart
from lapor_console.pages import Pages
from lapor_shared.events.commands import RequestExtension, RespondToComplaint
from lapor_shared.http_guard import check_fields
from lapor_shared.logging import get_logger
from lapor_shared.outbox import Outbox
from lapor_shared.web_pages import lang_of
from lapor_shared.workcalendar import WorkingCalendar

log = get_logger(component="console.actions")


class Actions:
    def __init__(self, pages: Pages, outbox: Outbox, evidence: ConsoleEvidence, nudge: Any = None) -> None:
        self.pages = pages
        self.evidence = evidence
        self.outbox = outbox
        self.nudge = nudge
        """Called after a command is committed (the relay's backlog hint): it leaves at once."""
        self.calendar = WorkingCalendar()

    async def act(self, request: Request) -> Response:
        pages = self.pages
        lang = lang_of(request)
        officer = await pages.officer(request)
        action = request.path_params["action"]
        if action not in commands.ACTIONS:
            raise HTTPException(404)
        limits = self.evidence.settings.limits
        form = await request.form(max_files=limits.max_count + 1, max_fields=200) if is_multipart(request) \
            else await request.form()
        try:
            fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
            refusal = check_fields(fields, "body")
            if refusal is not None:
                return refusal.response(as_html=True)
            given = dict(fields)
            if not pages.csrf_ok(request, given.get("csrf")):
                log.warning("csrf_refused", action=action)
                return pages.html(request, "error.html", lang, 403, code=403, user=officer, message="csrf")
            record = await pages.complaint_of(officer, request.path_params["tracking_number"])
            try:
                command, note = commands.build(action, officer, given)
            except commands.ActionProblem as problem:
                return pages.html(request, "problem.html", lang, 422, user=officer, c=record,
                                  problems=problem.messages)
            blobs = await files_of(form, limits.max_file_bytes) if isinstance(command, RespondToComplaint) else []
        finally:
            await form.close()
        if isinstance(command, RequestExtension) and given.get("confirm") != "1":
            due = commands.extended_deadline(self.calendar, record["due_at"], record["jurisdiction_code"],
                                             command.working_days)
            return pages.html(request, "extend_confirm.html", lang, user=officer, c=record, csrf=pages.csrf(request),
                              given=given, new_due=due)
        nonce = (given.get("nonce") or "")[:50] or uuid4().hex  # no nonce: a command of its own
        if blobs and isinstance(command, RespondToComplaint):
            scope = str(commands.command_id_for(officer, record["complaint_id"], nonce))
            try:  # stored and claimed before the command that names them is written to the outbox
                items = await self.evidence.store(blobs, scope=scope)
                await self.evidence.claim(items)
            except FilesRefused as refused:
                return pages.html(request, "problem.html", lang, 422, user=officer, c=record,
                                  problems=refused.messages)
            command = command.model_copy(update={"evidence": items})
        sent = await commands.send(pages.pool, self.outbox, officer, record, command, nonce=nonce, internal_note=note)
        if sent.published and self.nudge is not None:
            self.nudge()
        await self.wait(sent.command_id, officer.agency_id)
        target = f"/complaints/{quote(record['tracking_number'], safe='')}?action={sent.command_id}"
        return RedirectResponse(target, 303)

    async def wait(self, command_id: Any, agency_id: str) -> None:
        """Until the command's outcome arrived or ``action_wait_s`` passed (the page then shows it pending and
        the live stream brings the outcome)."""
        ends = time.monotonic() + self.pages.settings.action_wait_s
        while time.monotonic() < ends:
            row = await repository.action(self.pages.pool, command_id, agency_id)
            if row is None or row["outcome"] != "pending":
                return
            await asyncio.sleep(0.2)
