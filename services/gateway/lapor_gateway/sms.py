"""The SMS gateway webhook of the 1708 short code (provider-neutral).

``POST /sms/inbound`` (form or JSON: ``from``, ``text``, ``message_id``; common aliases accepted)
with the shared secret in ``X-Lapor-Sms-Secret``. A text that starts with a keyword
(``lapor_shared.sms_keywords``: ``BALAS``, ``BUKA``, ``NILAI``, ``CEK``) is a command of the reporter,
answered by ``sms_commands``, and never a complaint; any other text becomes a submission (channel
``sms``, the sender as the reporter's phone, the first words as the title, the text as the location
description, or the region of a leading ``#18.71``).

Replies are never sent from here: each is queued in ``sms_outbox`` when intake's answer is known,
and the gateway pulls them with ``GET /sms/outbox`` and confirms each with
``POST /sms/outbox/{id}/sent`` (the number is then forgotten).
"""

from __future__ import annotations

import hmac
import re
from datetime import UTC, datetime
from functools import partial

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lapor_gateway import repository as repo
from lapor_gateway import sms_commands
from lapor_gateway.context import AdapterContext, BodyTooLarge, form_fields, read_body
from lapor_gateway.contract import SubmissionProblem, build_submission, normalise_phone, reason, title_from
from lapor_gateway.submissions import IdempotencyConflict, PublishFailed
from lapor_shared import safejson, sms_keywords
from lapor_shared.events.values import Channel
from lapor_shared.http_errors import Refusal, json_error, json_refusal
from lapor_shared.logging import get_logger

log = get_logger(component="gateway.sms")

SECRET_HEADER = "x-lapor-sms-secret"
_ALIASES = {
    "from": ("from", "sender", "msisdn", "phone", "From"),
    "text": ("text", "message", "body", "content", "Body"),
    "message_id": ("message_id", "id", "messageId", "sms_id", "MessageSid"),
}
_REGION_TAG = re.compile(r"^\s*#(\d{2}(?:\.\d{2})?)\b[\s,:;-]*")
"""``#18.71 Lampu jalan mati …``: an optional Kemendagri region code in front of the text."""
LOCATION_TEXT_MAX = 500


def _region_tag(text: str) -> tuple[str | None, str]:
    """The region code a message starts with (if any) and the rest of the text."""
    tagged = _REGION_TAG.match(text)
    if tagged is None:
        return None, text
    return tagged.group(1), text[tagged.end():].strip()


def _authorised(request: Request, ctx: AdapterContext) -> bool:
    given = request.headers.get(SECRET_HEADER, "")
    return hmac.compare_digest(given.encode(), ctx.settings.sms_webhook_secret.encode())


def _unauthorised() -> Response:
    return json_error(401, reason("bad_secret", SECRET_HEADER, "Rahasia webhook tidak cocok.",
                              "The webhook secret does not match."))


async def _fields(request: Request, limit: int) -> dict[str, str]:
    """The message's fields under their canonical names; ``Refusal`` says what is wrong with the body."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = safejson.loads(await read_body(request, limit), safejson.Limits(max_bytes=limit))
        except safejson.UnsafeJson as exc:
            raise json_refusal(exc) from None
        raw = {k: str(v) for k, v in data.items() if v is not None} if isinstance(data, dict) else {}
    else:
        raw = await form_fields(request, limit)
    return {name: next((raw[a] for a in aliases if raw.get(a)), "") for name, aliases in _ALIASES.items()}


async def inbound(request: Request, ctx: AdapterContext) -> Response:
    if not _authorised(request, ctx):
        log.warning("sms_webhook_bad_secret")
        return _unauthorised()
    try:
        fields = await _fields(request, ctx.settings.max_body_bytes)
    except BodyTooLarge:
        return json_error(413, reason("too_large", None, "Permintaan terlalu besar.", "Request too large."))
    except Refusal as refusal:
        return json_error(refusal.status, refusal.reason())
    missing = [name for name, value in fields.items() if not value.strip()]
    if missing:
        return json_error(400, *(reason("required", name, f"{name} wajib diisi.", f"{name} is required.")
                             for name in missing))
    phone = normalise_phone(fields["from"]) or fields["from"]
    message_id, text = fields["message_id"].strip(), fields["text"].strip()
    command = sms_keywords.parse(text)
    if command is not None:
        return await sms_commands.handle(ctx, message_id, phone, command)
    region, text = _region_tag(text)
    try:
        submission = build_submission({
            "channel": Channel.SMS.value,
            "channel_message_id": message_id,
            "title": title_from(text),
            "description": text,
            # an SMS has no location field: a leading #code gives the region, else the text says where
            "location": {"region_code": region} if region else {"text": text[:LOCATION_TEXT_MAX]},
            "reporter": {"phone": phone},
            "submitted_at": datetime.now(UTC).isoformat(),
        })
        outcome = await ctx.gateway.submit(submission, source="sms", reply_to=phone)
    except SubmissionProblem as exc:
        return json_error(400, *exc.reasons)
    except IdempotencyConflict:
        return json_error(409, reason("message_id_reused", "message_id", "message_id sudah dipakai untuk pesan lain.",
                                  "message_id was already used for another message."))
    except PublishFailed:
        return json_error(503, reason("unavailable", None, "Layanan sibuk, kirim ulang.", "Service busy, retry."))
    return JSONResponse({
        "status": outcome.status,
        "message_id": message_id,
        "tracking_number": outcome.tracking_number,
        "reply": "queued" if outcome.status != "pending" else "queued_when_decided",
    })


async def outbox(request: Request, ctx: AdapterContext) -> Response:
    if not _authorised(request, ctx):
        return _unauthorised()
    try:
        limit = max(1, min(int(request.query_params.get("limit", "100")), 500))
    except ValueError:
        limit = 100
    rows = await repo.unsent_sms(ctx.pool, limit)
    return JSONResponse({"messages": [
        {"id": r["id"], "from": ctx.settings.sms_short_code, "to": r["to_phone"], "body": r["body"],
         "in_reply_to": r["in_reply_to"], "kind": r["kind"], "created_at": r["created_at"].isoformat()}
        for r in rows
    ]}, headers={"cache-control": "no-store"})


async def mark_sent(request: Request, ctx: AdapterContext) -> Response:
    if not _authorised(request, ctx):
        return _unauthorised()
    raw_id = request.path_params["id"]
    # a bigint, or certainly no such reply
    sms_id = int(raw_id) if raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 18 else -1
    if not await repo.mark_sms_sent(ctx.pool, sms_id):
        return json_error(404, reason("not_found", "id", "Balasan tidak ditemukan atau sudah terkirim.",
                                  "No such unsent reply."))
    return JSONResponse({"status": "sent", "id": sms_id})


def routes(ctx: AdapterContext) -> list[Route]:
    return [
        Route("/sms/inbound", partial(inbound, ctx=ctx), methods=["POST"]),
        Route("/sms/outbox", partial(outbox, ctx=ctx), methods=["GET"]),
        Route("/sms/outbox/{id}/sent", partial(mark_sent, ctx=ctx), methods=["POST"]),
    ]
