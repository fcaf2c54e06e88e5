"""The keyword texts of the SMS webhook (``lapor_shared.sms_keywords``): ``BALAS``, ``BUKA``, ``NILAI`` and
``CEK``. The sender's number is the proof: its keyed hash must be the reporter's (``reporters.by_phone``).

- ``BALAS`` / ``BUKA`` / ``NILAI`` from the reporter's phone publish the reporter's command (once per
  inbound message id) and queue the outcome's reply when followup decided; from any other phone, or for
  a number no complaint has, one and the same reply.
- ``CEK`` from the reporter's phone answers the status, rahasia or not; from any other phone the public
  status, and for a rahasia complaint the reply an unknown number gets.
- A malformed keyword text or an unknown keyword gets a short help reply; it never becomes a complaint.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from lapor_gateway import replies, reporters, status
from lapor_gateway import reporter_repository as rrepo
from lapor_gateway import repository as repo
from lapor_gateway.context import AdapterContext
from lapor_gateway.reporter_actions import ActionConflict, ActionProblem, build
from lapor_shared import statuses
from lapor_shared.http_errors import json_response
from lapor_shared.logging import get_logger
from lapor_shared.sms_keywords import RATE, REOPEN, REPLY, STATUS, SmsCommand, UnknownCommand

log = get_logger(component="gateway.sms")

_ACTIONS = {REPLY.word: "reply", REOPEN.word: "reopen", RATE.word: "rate"}


async def _reply(ctx: AdapterContext, message_id: str, phone: str, kind: str, body: str, answer: str) -> Response:
    await repo.queue_sms(ctx.pool, in_reply_to=message_id, kind=kind, to_phone=phone, body=body)
    return json_response({"status": answer, "message_id": message_id})


async def handle(ctx: AdapterContext, message_id: str, phone: str, parsed: SmsCommand | UnknownCommand) -> Response:
    """Answer a keyword text (``phone`` in E.164 when it parses as a number)."""
    short_code = ctx.settings.sms_short_code
    if isinstance(parsed, UnknownCommand) or parsed.problem is not None or parsed.tracking_number is None:
        problem = "unknown" if isinstance(parsed, UnknownCommand) else (parsed.problem or "tracking_number")
        log.info("sms_keyword_help", problem=problem)
        body = replies.help_reply(problem, short_code)
        return await _reply(ctx, message_id, phone, "help", body, "help_reply_queued")
    if parsed.keyword is STATUS:
        return await _status(ctx, message_id, phone, parsed.tracking_number)
    try:
        reporter = await reporters.by_phone(ctx.pool, parsed.tracking_number, phone, ctx.reporter_hash_key)
    except reporters.NotTheReporter:
        log.info("sms_command_not_the_reporter", keyword=parsed.keyword.word)
        return await _reply(ctx, message_id, phone, "help", replies.not_yours(parsed.tracking_number),
                            "not_found_reply_queued")
    action = _ACTIONS[parsed.keyword.word]
    asked: dict[str, dict[str, Any]] = {
        "reply": {"text": parsed.text}, "reopen": {"reason": parsed.text},
        "rate": {"rating": parsed.rating, "comment": parsed.text or None},
    }
    data = asked[action]
    try:
        outcome = await ctx.actions.publish(reporter, build(action, data), source="sms", client_key=message_id,
                                            wait_s=0, reply_to=phone, in_reply_to=message_id)
    except ActionProblem:
        return await _reply(ctx, message_id, phone, "help", replies.help_reply("text", short_code), "help_reply_queued")
    except ActionConflict:
        return await _reply(ctx, message_id, phone, "help", replies.help_reply("unknown", short_code),
                            "help_reply_queued")
    return json_response({"status": "command_published", "message_id": message_id, "action": outcome.command_type,
                          "tracking_number": reporter.tracking_number, "reply": "queued_when_decided"})


async def _status(ctx: AdapterContext, message_id: str, phone: str, number: str) -> Response:
    try:
        reporter = await reporters.by_phone(ctx.pool, number, phone, ctx.reporter_hash_key)
    except reporters.NotTheReporter:
        found = await status.lookup(ctx.pool, number)  # the public's answer: None for rahasia and unknown alike
        if found is None:
            body = replies.unknown_tracking_number(number)
        else:
            body = replies.status(found["tracking_number"], found["status_label"]["id"], found["status_label"]["en"])
    else:
        case = await rrepo.case_of(ctx.pool, reporter.complaint_id)
        label_id, label_en = statuses.label(case["status"] if case else statuses.ComplaintStatus.SUBMITTED.value)
        body = replies.status(reporter.tracking_number, label_id, label_en)
    return await _reply(ctx, message_id, phone, "status", body, "status_reply_queued")
