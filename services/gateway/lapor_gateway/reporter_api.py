"""The reporter's HTTP API (for the mobile app): the reporter's view of a complaint and the reporter's
commands, each proved with the reporter's key in ``Authorization: Bearer <key>``.

| request | answer |
|---|---|
| ``GET /api/v1/complaints/{no}/timeline`` | status, deadline (agency's local time), timeline, actions open now |
| ``POST /api/v1/complaints/{no}/replies`` ``{"text", "uploads"?, "attachments"?}`` | reply (files: upload slots) |
| ``POST /api/v1/complaints/{no}/rating`` ``{"rating": 1-5, "comment"?}`` | rate the handling once closed |
| ``POST /api/v1/complaints/{no}/reopen`` ``{"reason"}`` | reopen within the window |
| ``GET /api/v1/complaints/{no}/actions/{action_id}`` | a command's outcome |

A command answers 200 ``accepted`` when followup carried it out within the wait, 409 ``rejected`` with
followup's reason, or 202 ``pending`` with the poll address; ``Idempotency-Key`` makes a retry safe. A
wrong or missing key and an unknown number get the same 404, in the same time (``reporters``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lapor_gateway import reporters
from lapor_gateway.context import AdapterContext, BodyTooLarge, read_body
from lapor_gateway.contract import SubmissionProblem, reason
from lapor_gateway.evidence import claim, from_slots
from lapor_gateway.evidence_view import sign_timeline
from lapor_gateway.reporter_actions import ActionConflict, ActionOutcome, ActionProblem, build
from lapor_shared import safejson
from lapor_shared.events.commands import ReplyToResponse
from lapor_shared.http_errors import json_error, json_refusal, json_response

NOT_YOURS = reason(
    "not_found", "tracking_number", "Nomor pelacakan atau kunci pelapor tidak cocok.",
    "The tracking number or the reporter's key does not match.",
)


def _key(request: Request) -> str | None:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" and key.strip() else None


async def _reporter(request: Request, ctx: AdapterContext) -> reporters.Reporter | Response:
    try:
        number = reporters.read_number(request.path_params["tracking_number"])
    except reporters.InvalidTrackingNumber as exc:
        return json_error(400, exc.reason.model_dump())
    try:
        return await reporters.by_key(ctx.pool, number, _key(request))
    except reporters.NotTheReporter:
        return json_error(404, NOT_YOURS)


def action_document(reporter: reporters.Reporter, outcome: ActionOutcome) -> dict[str, Any]:
    return {
        "status": outcome.status, "action_id": str(outcome.command_id), "action": outcome.command_type,
        "tracking_number": reporter.tracking_number, "reasons": outcome.reasons,
        "poll_url": f"/api/v1/complaints/{reporter.tracking_number}/actions/{outcome.command_id}",
    }


def action_response(reporter: reporters.Reporter, outcome: ActionOutcome, *, created: bool) -> Response:
    doc = action_document(reporter, outcome)
    if outcome.status == "pending":
        return json_response(doc, 202 if created else 200, headers={"location": doc["poll_url"], "retry-after": "2"})
    return json_response(doc, 409 if outcome.status == "rejected" and created else 200)


async def timeline(request: Request, ctx: AdapterContext) -> Response:
    reporter = await _reporter(request, ctx)
    if isinstance(reporter, Response):
        return reporter
    return json_response(sign_timeline(await reporters.view(ctx.pool, reporter, datetime.now(UTC)),
                                       ctx.evidence.signer))


async def act(request: Request, ctx: AdapterContext, *, action: str) -> Response:
    """The body is read and checked first (no look-up for what cannot become a command), then the proof."""
    try:
        raw = await read_body(request, ctx.settings.max_body_bytes)
        data = safejson.loads(raw, safejson.Limits(max_bytes=ctx.settings.max_body_bytes))
    except BodyTooLarge:
        return json_error(413, reason("too_large", None, "Permintaan terlalu besar.", "The request is too large."))
    except safejson.UnsafeJson as exc:
        refusal = json_refusal(exc)
        return json_error(refusal.status, refusal.reason())
    if not isinstance(data, dict):
        return json_error(400, reason("not_json", None, "Isi permintaan harus objek JSON.",
                                      "The request body must be a JSON object."))
    data.pop("evidence", None)  # only the gateway names stored files: from the reply's upload slots
    try:
        if action == "reply" and data.get("uploads") is not None:
            data["evidence"] = [e.model_dump() for e in await from_slots(ctx.evidence, data.pop("uploads"))]
        command = build(action, data)
    except (ActionProblem, SubmissionProblem) as exc:
        return json_error(422, *exc.reasons)
    reporter = await _reporter(request, ctx)
    if isinstance(reporter, Response):
        return reporter
    try:
        if isinstance(command, ReplyToResponse):
            await claim(ctx.evidence, command.evidence)  # stored for good before the command names them
    except SubmissionProblem as exc:
        return json_error(422, *exc.reasons)
    try:
        outcome = await ctx.actions.publish(
            reporter, command, source="api",
            client_key=(request.headers.get("idempotency-key") or "").strip()[:200] or str(uuid4()),
        )
    except ActionConflict:
        return json_error(409, reason(
            "idempotency_key_reused", "Idempotency-Key", "Idempotency-Key ini sudah dipakai untuk perintah lain.",
            "This Idempotency-Key was already used for a different command."))
    return action_response(reporter, outcome, created=True)


async def action_outcome(request: Request, ctx: AdapterContext) -> Response:
    reporter = await _reporter(request, ctx)
    if isinstance(reporter, Response):
        return reporter
    try:
        command_id = UUID(request.path_params["action_id"])
    except ValueError:
        command_id = None
    outcome = await ctx.actions.outcome(command_id, reporter.complaint_id) if command_id else None
    if outcome is None:
        return json_error(404, reason("unknown_action", "action_id", "Tindakan tidak ditemukan.", "No such action."))
    return action_response(reporter, outcome, created=False)


def routes(ctx: AdapterContext) -> list[Route]:
    base = "/api/v1/complaints/{tracking_number}"
    return [
        Route(f"{base}/timeline", partial(timeline, ctx=ctx), methods=["GET"]),
        Route(f"{base}/replies", partial(act, ctx=ctx, action="reply"), methods=["POST"]),
        Route(f"{base}/rating", partial(act, ctx=ctx, action="rate"), methods=["POST"]),
        Route(f"{base}/reopen", partial(act, ctx=ctx, action="reopen"), methods=["POST"]),
        Route(f"{base}/actions/{{action_id}}", partial(action_outcome, ctx=ctx), methods=["GET"]),
    ]
