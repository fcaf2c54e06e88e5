"""The reporter's tracking page (``/lacak``): plain server-rendered HTML forms, no JavaScript, Bahasa
Indonesia first with an English switch; it works on a cheap phone's browser.

The reporter types the tracking number and the reporter's key (or opens notify's link, which carries
both) and reads the complaint's timeline, the current deadline in the agency's local time and the
actions open now: reply to a follow-up, rate the handling once closed, reopen within the window. Each
action is a form that carries the number, the key and a nonce (a double tap publishes once), publishes
the reporter's command (``reporter_actions``) and shows its outcome when it arrives within a few
seconds, or a button to look again.

A wrong key and an unknown number give the same page with the same status (``reporters``). The key
travels in form fields and, from notify's link, in the address: the pages are never cached and send no
referrer, so the key does not leak to a linked site.
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
from lapor_gateway.context import AdapterContext, BodyTooLarge, form_fields
from lapor_gateway.contract import SubmissionProblem
from lapor_gateway.evidence import claim, form_and_files, is_multipart, store_files
from lapor_gateway.evidence_view import sign_timeline
from lapor_gateway.reporter_actions import ActionConflict, ActionOutcome, ActionProblem, build
from lapor_gateway.web_form import TEXTS as FORM_TEXTS
from lapor_gateway.web_form import language, render
from lapor_shared.http_errors import Refusal

TEXTS: dict[str, tuple[str, str]] = {
    **FORM_TEXTS,
    "track_hint": ("Masukkan nomor pelacakan dan kunci pelapor yang Anda terima saat melapor (di layar, SMS, atau"
                   " email pertama dari LAPOR!).",
                   "Enter the tracking number and the reporter's key you received when you reported (on screen,"
                   " by SMS or in LAPOR!'s first e-mail)."),
    "open": ("Buka", "Open"),
    "not_yours": ("Nomor pelacakan atau kunci pelapor tidak cocok.",
                  "The tracking number or the reporter's key does not match."),
    "invalid_number": ("Nomor pelacakan tidak valid; periksa kembali (contoh: LPR-7K3Q-9XW2-HM43A).",
                       "The tracking number is not valid; check it (for example LPR-7K3Q-9XW2-HM43A)."),
    "deadline": ("Tenggat saat ini", "Current deadline"),
    "deadline_follow_up": ("tindak lanjut oleh instansi", "the agency's follow-up"),
    "deadline_auto_close": ("balasan Anda sebelum ditutup otomatis", "your reply before it closes automatically"),
    "deadline_verification": ("verifikasi", "verification"),
    "timeline": ("Riwayat", "Timeline"),
    "attachment": ("Lampiran", "Attachment"),
    "evidence": ("Bukti", "Evidence"),
    "reply_files": ("Foto atau dokumen (boleh dikosongkan)", "Photos or documents (optional)"),
    "reply": ("Balas tindak lanjut", "Reply to the follow-up"),
    "reply_text": ("Balasan Anda", "Your reply"),
    "send_reply": ("Kirim balasan", "Send reply"),
    "rate": ("Nilai penanganan", "Rate the handling"),
    "rating": ("Nilai (1 = buruk, 5 = sangat baik)", "Rating (1 = poor, 5 = very good)"),
    "comment": ("Komentar (boleh dikosongkan)", "Comment (optional)"),
    "send_rating": ("Kirim penilaian", "Send rating"),
    "reopen": ("Buka kembali laporan", "Reopen the complaint"),
    "reopen_reason": ("Mengapa masalahnya belum selesai?", "Why is the problem not solved?"),
    "reopen_until": ("Dapat dibuka kembali sampai", "May be reopened until"),
    "send_reopen": ("Buka kembali", "Reopen"),
    "done_reporter.reply": ("Balasan Anda telah diteruskan ke instansi.", "Your reply was passed to the agency."),
    "done_reporter.rate": ("Terima kasih, penilaian Anda tercatat.", "Thank you, your rating was recorded."),
    "done_reporter.reopen": ("Laporan Anda dibuka kembali.", "Your complaint was reopened."),
    "refused": ("Permintaan Anda ditolak:", "Your request was refused:"),
    "action_pending": ("Permintaan Anda sedang diproses.", "Your request is being processed."),
    "refresh": ("Perbarui", "Refresh"),
    "no_actions": ("Belum ada tindakan yang dapat Anda lakukan saat ini.", "There is nothing for you to do now."),
    "confidential_note": ("Laporan rahasia: hanya Anda dan instansi yang berwenang yang dapat membacanya.",
                          "Confidential: only you and the responsible agency can read it."),
    "bad_input": ("Isian berisi karakter yang tidak diterima.", "The form holds characters that are not accepted."),
}
HEADERS = {"referrer-policy": "no-referrer", "x-frame-options": "DENY", "x-content-type-options": "nosniff"}


def _page(request: Request, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("typed", "")
    return render(request, "lacak.html", status_code, texts=TEXTS, headers=HEADERS, **context)


def _form(request: Request, *, typed: str = "", problem: str | None = None, status_code: int = 200) -> Response:
    return _page(request, status_code, typed=typed, problem=problem, view=None)


async def _proven(request: Request, ctx: AdapterContext, fields: dict[str, str]
                  ) -> tuple[reporters.Reporter | None, Response | None]:
    """The reporter, or the page that says the proof failed (the same for a wrong key and an unknown number)."""
    typed = (fields.get("nomor") or "").strip()[:64]
    try:
        number = reporters.read_number(typed)
    except reporters.InvalidTrackingNumber:
        return None, _form(request, typed=typed, problem="invalid_number", status_code=400)
    try:
        return await reporters.by_key(ctx.pool, number, fields.get("kunci")), None
    except reporters.NotTheReporter:
        return None, _form(request, typed=typed, problem="not_yours", status_code=404)


async def _show(request: Request, ctx: AdapterContext, reporter: reporters.Reporter, key: str, *,
                outcome: ActionOutcome | None = None, problems: list[dict[str, Any]] | None = None,
                status_code: int = 200) -> Response:
    view = sign_timeline(await reporters.view(ctx.pool, reporter, datetime.now(UTC)), ctx.evidence.signer)
    return _page(request, status_code, view=view, key=key, nonce=uuid4().hex, outcome=outcome,
                 problems=problems or [], typed=reporter.tracking_number)


async def _fields(request: Request, ctx: AdapterContext) -> dict[str, str] | Response:
    try:
        return await form_fields(request, ctx.settings.max_body_bytes)
    except BodyTooLarge:
        return _form(request, problem="too_large", status_code=413)
    except Refusal as refusal:  # a control character or a text-direction override in a field
        return _form(request, problem="bad_input", status_code=refusal.status)


async def show(request: Request, ctx: AdapterContext) -> Response:
    """The form, or (notify's link carries both) the complaint."""
    params = dict(request.query_params)
    if not params.get("nomor") or not params.get("kunci"):
        return _form(request, typed=(params.get("nomor") or "").strip()[:64])
    reporter, refused = await _proven(request, ctx, params)
    if reporter is None:
        assert refused is not None
        return refused
    return await _show(request, ctx, reporter, params["kunci"])


async def open_page(request: Request, ctx: AdapterContext) -> Response:
    """The form's answer; with ``hasil`` (a command id) the outcome of that command too."""
    fields = await _fields(request, ctx)
    if isinstance(fields, Response):
        return fields
    reporter, refused = await _proven(request, ctx, fields)
    if reporter is None:
        assert refused is not None
        return refused
    outcome = None
    if fields.get("hasil"):
        try:
            outcome = await ctx.actions.outcome(UUID(fields["hasil"]), reporter.complaint_id)
        except ValueError:
            outcome = None
    return await _show(request, ctx, reporter, fields.get("kunci", ""), outcome=outcome)


async def _fields_and_files(request: Request, ctx: AdapterContext) -> tuple[dict[str, str], list[bytes]] | Response:
    """A reply's form may carry files (multipart); the other forms only fields."""
    if not is_multipart(request):
        fields = await _fields(request, ctx)
        return fields if isinstance(fields, Response) else (fields, [])
    try:
        return await form_and_files(request, ctx.evidence)
    except Refusal as refusal:
        return _form(request, problem="bad_input", status_code=refusal.status)


async def act(request: Request, ctx: AdapterContext, *, action: str) -> Response:
    read = await _fields_and_files(request, ctx)
    if isinstance(read, Response):
        return read
    fields, files = read
    reporter, refused = await _proven(request, ctx, fields)
    if reporter is None:
        assert refused is not None
        return refused
    key = fields.get("kunci", "")
    asked: dict[str, dict[str, Any]] = {
        "reply": {"text": fields.get("text", "")},
        "rate": {"rating": fields.get("rating") or None, "comment": fields.get("comment")},
        "reopen": {"reason": fields.get("reason", "")},
    }
    data = asked[action]
    client_key = (fields.get("aksi") or uuid4().hex)[:100]
    try:
        if action == "reply" and files:  # stored and claimed before the command names them
            items = await store_files(ctx.evidence, files, scope=f"{reporter.complaint_id}-{client_key}")
            data["evidence"] = [e.model_dump() for e in items]
            await claim(ctx.evidence, items)
        outcome = await ctx.actions.publish(reporter, build(action, data), source="web", client_key=client_key)
    except SubmissionProblem as exc:
        return await _show(request, ctx, reporter, key, problems=_localised(request, exc.reasons), status_code=422)
    except ActionProblem as exc:
        return await _show(request, ctx, reporter, key, problems=_localised(request, exc.reasons), status_code=422)
    except ActionConflict:
        return await _show(request, ctx, reporter, key, problems=_localised(request, [
            {"message_id": TEXTS["conflict"][0], "message_en": TEXTS["conflict"][1]}]), status_code=409)
    return await _show(request, ctx, reporter, key, outcome=outcome)


def _localised(request: Request, reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    english = language(request) == "en"
    return [{**r, "text": r["message_en"] if english else r["message_id"]} for r in reasons]


def routes(ctx: AdapterContext) -> list[Route]:
    return [
        Route("/lacak", partial(show, ctx=ctx), methods=["GET"]),
        Route("/lacak", partial(open_page, ctx=ctx), methods=["POST"]),
        Route("/lacak/balas", partial(act, ctx=ctx, action="reply"), methods=["POST"]),
        Route("/lacak/nilai", partial(act, ctx=ctx, action="rate"), methods=["POST"]),
        Route("/lacak/buka", partial(act, ctx=ctx, action="reopen"), methods=["POST"]),
    ]
