"""The HTTP API for web and mobile clients (``/api/v1``).

``POST /api/v1/complaints`` takes the submission contract as JSON and answers 201 with the tracking
number and, this once, the reporter's key when intake accepted it within a few seconds, 202 with a poll
token when it takes longer (the first poll that finds it accepted shows the key), or 422 with the
reasons (Bahasa Indonesia and English). ``GET /api/v1/submissions/{token}`` polls;
``GET /api/v1/complaints/{tracking_number}`` looks a complaint's public status up (a rahasia complaint
answers as an unknown number does). The reporter's own endpoints are in ``reporter_api``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import uuid4

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lapor_gateway import status
from lapor_gateway.context import AdapterContext, BodyTooLarge, read_body
from lapor_gateway.contract import Outcome, SubmissionProblem, build_submission, normalise_phone, reason
from lapor_gateway.evidence import attach, claim, form_and_files, is_multipart
from lapor_gateway.evidence_view import links
from lapor_gateway.submissions import IdempotencyConflict, PublishFailed
from lapor_shared import categories, safejson
from lapor_shared.events.values import Channel
from lapor_shared.http_errors import json_refusal

API_CHANNELS = (Channel.WEB.value, Channel.MOBILE.value)
NO_STORE = {"cache-control": "no-store"}


def problem(http_status: int, *reasons: dict[str, Any], **extra: Any) -> JSONResponse:
    return JSONResponse({"status": "rejected", **extra, "reasons": list(reasons)}, http_status, headers=NO_STORE)


def status_path(tracking_number: str) -> str:
    return f"/api/v1/complaints/{tracking_number}"


def poll_path(poll_token: str) -> str:
    return f"/api/v1/submissions/{poll_token}"


def tracking_path(tracking_number: str) -> str:
    """The reporter's tracking page (the key is typed there, never put in a link the gateway makes)."""
    return f"/lacak?nomor={tracking_number}"


def outcome_document(outcome: Outcome, reporter_key: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "status": outcome.status,
        "channel": outcome.channel,
        "channel_message_id": outcome.channel_message_id,
        "poll_token": outcome.poll_token,
        "poll_url": poll_path(outcome.poll_token),
    }
    if outcome.status == "accepted":
        doc.update(
            tracking_number=outcome.tracking_number,
            status_url=status_path(outcome.tracking_number or ""),
            tracking_url=tracking_path(outcome.tracking_number or ""),
            message_id=f"Laporan Anda diterima. Nomor pelacakan: {outcome.tracking_number}.",
            message_en=f"Your report was received. Tracking number: {outcome.tracking_number}.",
        )
        if reporter_key:
            doc.update(
                reporter_key=reporter_key,
                reporter_key_note={
                    "id": "Kunci pelapor hanya ditampilkan sekali: simpan dan rahasiakan. Dengan nomor pelacakan dan "
                          "kunci ini Anda membalas, menilai, atau membuka kembali laporan.",
                    "en": "The reporter's key is shown only once: keep it secret. With the tracking number and this "
                          "key you reply to, rate or reopen the complaint.",
                },
            )
    elif outcome.status == "rejected":
        doc["reasons"] = outcome.reasons
    else:
        doc.update(
            message_id="Laporan Anda sedang diproses. Periksa kembali melalui poll_url.",
            message_en="Your report is being processed. Check again at poll_url.",
        )
    return doc


def outcome_response(outcome: Outcome, *, created: bool, reporter_key: str | None = None) -> JSONResponse:
    """201/202/422 for a submission; 200 for a poll (the submission resource exists either way)."""
    doc = outcome_document(outcome, reporter_key)
    headers = dict(NO_STORE)
    if outcome.status == "accepted":
        headers["location"] = doc["status_url"]
        return JSONResponse(doc, 201 if created else 200, headers=headers)
    if outcome.status == "rejected":
        return JSONResponse(doc, 422 if created else 200, headers=headers)
    headers.update({"location": doc["poll_url"], "retry-after": "2"})
    return JSONResponse(doc, 202 if created else 200, headers=headers)


def _message_id(data: dict[str, Any], idempotency_key: str | None) -> str | dict[str, Any]:
    given = data.get("channel_message_id")
    if given is not None and idempotency_key is not None and str(given) != idempotency_key:
        return reason(
            "idempotency_key_mismatch", "channel_message_id",
            "channel_message_id dan header Idempotency-Key berbeda; kirim salah satu saja.",
            "channel_message_id and the Idempotency-Key header differ; send only one.",
        )
    return str(given) if given is not None else (idempotency_key or f"api-{uuid4()}")


async def submit_complaint(request: Request, ctx: AdapterContext) -> JSONResponse:
    """JSON, or ``multipart/form-data`` with the same JSON in the ``complaint`` part and files in ``files``
    parts; JSON may name upload slots (``"uploads": [id, …]``, ``evidence_http``)."""
    files: list[bytes] = []
    try:
        if is_multipart(request):
            fields, files = await form_and_files(request, ctx.evidence)
            raw = (fields.get("complaint") or "").encode()
        else:
            raw = await read_body(request, ctx.settings.max_body_bytes)
    except BodyTooLarge:
        return problem(413, reason(
            "too_large", None,
            f"Permintaan melebihi {ctx.settings.max_body_bytes} bita; kirim berkas sebagai multipart atau unggahan.",
            f"The request exceeds {ctx.settings.max_body_bytes} bytes; send files as multipart or upload slots.",
        ))
    try:
        data = safejson.loads(raw, safejson.Limits(max_bytes=ctx.settings.max_body_bytes))
    except safejson.UnsafeJson as exc:
        refusal = json_refusal(exc)
        return problem(refusal.status, refusal.reason())
    if not isinstance(data, dict):
        return problem(400, reason("not_json", None, "Isi permintaan harus objek JSON.",
                                   "The request body must be a JSON object."))
    key = request.headers.get("idempotency-key")
    if key is not None and safejson.refused_character(key):
        return problem(422, reason("control_character", "Idempotency-Key",
                                   "Header Idempotency-Key berisi karakter kontrol.",
                                   "The Idempotency-Key header holds a control character."))
    message_id = _message_id(data, key.strip() if key else None)
    if isinstance(message_id, dict):
        return problem(422, message_id)
    data["channel_message_id"] = message_id
    data.setdefault("channel", Channel.WEB.value)
    if data["channel"] not in API_CHANNELS:
        return problem(422, reason(
            "channel_not_allowed", "channel", "Kanal API ini hanya web atau mobile.",
            "This API accepts only the web and mobile channels.",
        ))
    data.setdefault("submitted_at", datetime.now(UTC).isoformat())
    if isinstance(data.get("reporter"), dict) and data["reporter"].get("phone"):
        data["reporter"] = {**data["reporter"], "phone": normalise_phone(str(data["reporter"]["phone"]))}
    try:
        await attach(ctx.evidence, data, files=files, slots=data.pop("uploads", None), scope=message_id)
        submission = build_submission(data)
        await claim(ctx.evidence, submission.evidence, submission)  # stored for good before the event names them
    except SubmissionProblem as exc:
        return problem(422, *exc.reasons, channel_message_id=message_id)
    try:
        outcome = await ctx.gateway.submit(submission, source="api")
    except IdempotencyConflict:
        return problem(409, reason(
            "idempotency_key_reused", "channel_message_id",
            "channel_message_id / Idempotency-Key ini sudah dipakai untuk laporan yang berbeda.",
            "This channel_message_id / Idempotency-Key was already used for a different report.",
        ), channel_message_id=message_id)
    except PublishFailed:
        return problem(503, reason(
            "unavailable", None, "Layanan sedang sibuk; silakan kirim ulang dengan kunci yang sama.",
            "The service is busy; please retry with the same key.",
        ), channel_message_id=message_id)
    return outcome_response(outcome, created=True, reporter_key=await ctx.gateway.take_reporter_key(outcome))


async def poll_submission(request: Request, ctx: AdapterContext) -> JSONResponse:
    outcome = await ctx.gateway.outcome_by_token(request.path_params["token"])
    if outcome is None:
        return problem(404, reason("unknown_token", "token", "Token tidak dikenal.", "Unknown token."))
    return outcome_response(outcome, created=False, reporter_key=await ctx.gateway.take_reporter_key(outcome))


async def complaint_status(request: Request, ctx: AdapterContext) -> JSONResponse:
    typed = request.path_params["tracking_number"]
    try:
        found = await status.lookup(ctx.pool, typed)
    except status.InvalidTrackingNumber as exc:
        return problem(400, reason("invalid_tracking_number", "tracking_number", f"{exc}.",
                                   status.INVALID_REASON_EN))
    if found is None:  # no such number, or a rahasia complaint: one answer
        return problem(404, reason("not_found", "tracking_number", "Laporan dengan nomor pelacakan ini tidak ada.",
                                   "No complaint has this tracking number."))
    found["evidence"] = links(found.get("evidence"), ctx.evidence.signer, audience="public")
    return JSONResponse(found, headers=NO_STORE)


async def list_categories(request: Request) -> JSONResponse:
    return JSONResponse([
        {"code": c.code, "name_id": c.name_id, "name_en": c.name_en, "description_id": c.description_id,
         "group": c.group, "aliases": list(c.aliases)}
        for c in categories.CATEGORIES
    ])


def routes(ctx: AdapterContext) -> list[Route]:
    return [
        Route("/api/v1/complaints", partial(submit_complaint, ctx=ctx), methods=["POST"]),
        Route("/api/v1/complaints/{tracking_number}", partial(complaint_status, ctx=ctx), methods=["GET"]),
        Route("/api/v1/submissions/{token}", partial(poll_submission, ctx=ctx), methods=["GET"]),
        Route("/api/v1/categories", list_categories, methods=["GET"]),
    ]
