"""The citizen web form (``/lapor``): plain server-rendered HTML, usable on a phone without JavaScript.
With it, a "Gunakan lokasi saya" button fills two hidden fields with the browser's geolocation (the point
routing resolves to a regency); without it the button stays hidden and the form works as before.

Bahasa Indonesia by default, English with ``?lang=en`` (remembered in a cookie). Every form carries
its own channel message id, so submitting twice (a double tap, the back button, a reload) files one
complaint. A rejected form comes back filled in, with the reasons, and a fresh id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import cache, partial
from pathlib import Path
from typing import Any
from uuid import uuid4

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from lapor_gateway import status
from lapor_gateway.context import AdapterContext, BodyTooLarge, form_fields
from lapor_gateway.contract import (
    Outcome,
    SubmissionProblem,
    build_submission,
    normalise_phone,
    reason,
)
from lapor_gateway.evidence import attach, claim, form_and_files, is_multipart
from lapor_gateway.submissions import IdempotencyConflict, PublishFailed
from lapor_shared import categories
from lapor_shared.events.values import Channel, ReportType
from lapor_shared.evidence import EvidenceLimits
from lapor_shared.http_errors import Refusal
from lapor_shared.regions import all_regions

TEXTS: dict[str, tuple[str, str]] = {
    "site": ("LAPOR! Layanan Aspirasi dan Pengaduan Online Rakyat", "LAPOR! Public complaints and aspirations"),
    "new_report": ("Sampaikan laporan", "Submit a report"),
    "check_status": ("Cek status laporan", "Check a report's status"),
    "track": ("Lacak laporan Anda", "Follow your report"),
    "key": ("Kunci pelapor", "Reporter's key"),
    "keep_key": ("Kunci pelapor hanya ditampilkan sekali. Catat dan rahasiakan: dengan nomor pelacakan dan kunci"
                 " ini Anda membalas, menilai, atau membuka kembali laporan.",
                 "The reporter's key is shown only once. Write it down and keep it secret: with the tracking"
                 " number and this key you reply to, rate or reopen your report."),
    "key_shown": ("Kunci pelapor sudah ditampilkan sebelumnya (juga dikirim ke SMS/email Anda bila ada).",
                  "The reporter's key was shown before (and sent to your SMS/e-mail, if you left one)."),
    "open_tracking": ("Buka halaman pelacakan", "Open the tracking page"),
    "owner_hint": ("Anda pelapornya? Buka halaman pelacakan dengan kunci pelapor untuk membaca tanggapan dan"
                   " membalasnya.", "Are you the reporter? Open the tracking page with your reporter's key to read"
                   " the responses and answer them."),
    "report_type": ("Jenis laporan", "Type of report"),
    "pengaduan": ("Pengaduan", "Complaint"),
    "aspirasi": ("Aspirasi", "Aspiration"),
    "permintaan_informasi": ("Permintaan informasi", "Information request"),
    "title": ("Judul laporan", "Title"),
    "description": ("Isi laporan (kronologi)", "What happened"),
    "description_hint": ("Ceritakan apa, di mana, kapan; minimal 10 karakter.",
                         "Say what, where and when; at least 10 characters."),
    "incident_date": ("Tanggal kejadian", "Date of the incident"),
    "region": ("Kabupaten/kota", "Regency or city"),
    "region_none": ("— pilih (boleh dikosongkan) —", "— choose (optional) —"),
    "location": ("Lokasi kejadian", "Where"),
    "use_my_location": ("Gunakan lokasi saya", "Use my location"),
    "location_found": ("Lokasi Anda terlampir pada laporan.", "Your location is attached to the report."),
    "location_failed": ("Lokasi tidak dapat dibaca; isi kabupaten/kota atau lokasi kejadian.",
                        "Your location could not be read; fill in the regency or the place instead."),
    "invalid_point": ("Titik lokasi tidak valid; coba lagi atau kosongkan.", "The location point is not valid."),
    "category": ("Kategori", "Category"),
    "category_none": ("— tidak tahu —", "— not sure —"),
    "you": ("Data pelapor", "About you"),
    "you_hint": ("Dipakai untuk mengabari Anda; tidak pernah ditampilkan kepada publik.",
                 "Used to keep you informed; never shown to the public."),
    "name": ("Nama", "Name"),
    "phone": ("Nomor HP", "Mobile number"),
    "email": ("Email", "Email"),
    "anonymous": ("Anonim: identitas saya dirahasiakan dari instansi", "Anonymous: hide my identity from the agency"),
    "confidential": ("Rahasia: isi laporan tidak ditampilkan ke publik", "Confidential: keep the content private"),
    "send": ("Kirim laporan", "Send report"),
    "files": ("Foto atau dokumen (bukti)", "Photos or documents (evidence)"),
    "files_hint": ("JPEG, PNG, WebP, HEIC atau PDF; lokasi dan data kamera di dalam foto dihapus sebelum disimpan.",
                   "JPEG, PNG, WebP, HEIC or PDF; the location and camera data inside a photo are removed before"
                   " it is stored."),
    "photo_location": ("Gunakan lokasi yang tersimpan di foto sebagai lokasi kejadian (lokasi itu tidak disimpan"
                       " bersama foto)", "Use the place stored in the photo as where it happened (that place is not"
                       " stored with the photo)"),
    "camera": ("atau ambil foto dengan kamera ponsel", "or take a photo with the phone's camera"),
    "uploading": ("Mengunggah …", "Uploading …"),
    "upload_failed": ("Unggahan gagal; periksa koneksi dan kirim ulang.",
                      "The upload failed; check the connection and send again."),
    "problems": ("Laporan belum dapat diterima:", "The report could not be accepted:"),
    "accepted": ("Laporan Anda diterima", "Your report was received"),
    "tracking_number": ("Nomor pelacakan", "Tracking number"),
    "keep_it": ("Simpan nomor ini untuk memantau laporan Anda.", "Keep this number to follow your report."),
    "pending": ("Laporan Anda sedang diproses", "Your report is being processed"),
    "pending_hint": ("Halaman ini akan diperbarui otomatis. Jika tidak, muat ulang halaman.",
                     "This page refreshes itself; if not, reload it."),
    "rejected": ("Laporan belum dapat diterima", "The report could not be accepted"),
    "try_again": ("Perbaiki dan kirim ulang", "Correct it and send it again"),
    "status": ("Status", "Status"),
    "enter_number": ("Masukkan nomor pelacakan", "Enter the tracking number"),
    "check": ("Cek", "Check"),
    "not_found": ("Laporan dengan nomor ini tidak ditemukan.", "No report has this number."),
    "submitted_at": ("Dikirim", "Submitted"),
    "updated_at": ("Diperbarui", "Updated"),
    "agency": ("Instansi", "Agency"),
    "notes": ("Keterangan", "Notes"),
    "conflict": ("Formulir ini sudah terkirim dengan isi berbeda; silakan kirim ulang.",
                 "This form was already sent with different content; please send it again."),
    "unavailable": ("Layanan sedang sibuk; silakan coba lagi.", "The service is busy; please try again."),
    "too_large": ("Isian terlalu panjang.", "The form is too large."),
    "invalid_date": ("Tanggal kejadian tidak valid (gunakan TTTT-BB-HH).", "The incident date is not valid."),
}

_TEMPLATES = Path(__file__).parent / "templates"


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True,
        lstrip_blocks=True,
    )


def language(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get("lang")
    return "en" if chosen == "en" else "id"


def render(request: Request, template: str, status_code: int = 200, *, texts: Mapping[str, tuple[str, str]] = TEXTS,
           headers: Mapping[str, str] | None = None, **context: Any) -> HTMLResponse:
    """``template`` in the request's language, ``t(key)`` reading ``texts`` (the form's by default)."""
    lang = language(request)

    def t(key: str) -> str:
        text_id, text_en = texts.get(key, (key, key))
        return text_en if lang == "en" else text_id

    html = _environment().get_template(template).render(
        t=t, lang=lang, other_lang="id" if lang == "en" else "en", path=request.url.path, **context
    )
    response = HTMLResponse(html, status_code, headers={"cache-control": "no-store", **(headers or {})})
    if request.query_params.get("lang") in ("id", "en"):
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


@cache
def _region_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    regions = all_regions()
    provinces = sorted((r for r in regions.values() if r.level == "province"), key=lambda r: r.code)
    return [
        (p.name, [(r.code, r.name) for r in sorted(regions.values(), key=lambda r: r.code) if r.parent_code == p.code])
        for p in provinces
    ]


def _form(request: Request, values: dict[str, Any] | None = None, problems: list[dict[str, Any]] | None = None,
          status_code: int = 200, limits: EvidenceLimits | None = None) -> HTMLResponse:
    limits = limits or EvidenceLimits()
    count, size = limits.max_count, limits.max_file_bytes // (1024 * 1024)
    file_limits = (f"Maks. {count} berkas, {size} MB per berkas." if language(request) == "id"
                   else f"At most {count} files, {size} MB each.")
    return render(
        request, "form.html", status_code, file_limits=file_limits,
        values=values or {}, problems=problems or [], message_id=f"web-{uuid4()}",
        report_types=[t.value for t in ReportType], categories=categories.CATEGORIES, regions=_region_groups(),
    )


async def show_form(request: Request, ctx: AdapterContext) -> Response:
    return _form(request, limits=ctx.evidence.settings.limits)


def _point(form: dict[str, str], lang_problems: list[dict[str, Any]]) -> tuple[float | None, float | None]:
    """The browser's point from the hidden fields, both or neither."""
    raw = ((form.get("latitude") or "").strip(), (form.get("longitude") or "").strip())
    if not any(raw):
        return None, None
    try:
        return float(raw[0]), float(raw[1])
    except ValueError:
        lang_problems.append(reason("invalid_point", "location.latitude", *TEXTS["invalid_point"]))
        return None, None


def _submission_data(form: dict[str, str], lang_problems: list[dict[str, Any]]) -> dict[str, Any]:
    incident: date | None = None
    if form.get("incident_date"):
        try:
            incident = date.fromisoformat(form["incident_date"])
        except ValueError:
            lang_problems.append(reason("invalid_date", "incident_date", TEXTS["invalid_date"][0],
                                        TEXTS["invalid_date"][1]))
    contact = {k: (form.get(k) or "").strip() or None for k in ("name", "phone", "email")}
    contact["phone"] = normalise_phone(contact["phone"])
    latitude, longitude = _point(form, lang_problems)
    return {
        "channel": Channel.WEB.value,
        "channel_message_id": form.get("channel_message_id") or f"web-{uuid4()}",
        "report_type": form.get("report_type") or ReportType.PENGADUAN.value,
        "title": form.get("title", ""),
        "description": form.get("description", ""),
        "incident_date": incident,
        "location": {
            "region_code": form.get("region_code") or None, "text": (form.get("location") or "").strip() or None,
            "latitude": latitude, "longitude": longitude,
        },
        "category_hint": form.get("category") or None,
        "reporter": contact if any(contact.values()) else None,
        "anonymous": form.get("anonymous") == "on",
        "confidential": form.get("confidential") == "on",
        "submitted_at": datetime.now(UTC),
    }


def _localised(reasons: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    return [{**r, "text": r["message_en"] if lang == "en" else r["message_id"]} for r in reasons]


async def submit_form(request: Request, ctx: AdapterContext) -> Response:
    lang = language(request)
    files: list[bytes] = []
    try:
        if is_multipart(request):
            form, files = await form_and_files(request, ctx.evidence)
        else:
            form = await form_fields(request, ctx.settings.max_body_bytes)
    except BodyTooLarge:
        return _form(request, problems=_localised([reason("too_large", None, *TEXTS["too_large"])], lang),
                     status_code=413)
    except Refusal as refusal:  # a control character or a text-direction override in a field
        return _form(request, problems=_localised([refusal.reason()], lang), status_code=refusal.status)
    local: list[dict[str, Any]] = []
    data = _submission_data(form, local)
    if local:
        return _form(request, form, _localised(local, lang), 422)
    try:
        position = await attach(ctx.evidence, data, files=files, scope=data["channel_message_id"])
        if position and form.get("photo_location") == "on" and data["location"]["latitude"] is None:
            data["location"]["latitude"], data["location"]["longitude"] = position  # the reporter asked for it
        submission = build_submission(data)
        await claim(ctx.evidence, submission.evidence, submission)  # stored for good before the event names them
        outcome = await ctx.gateway.submit(submission, source="web")
    except SubmissionProblem as exc:
        return _form(request, form, _localised(exc.reasons, lang), 422)
    except IdempotencyConflict:
        return _form(request, form, _localised([reason("conflict", None, *TEXTS["conflict"])], lang), 409)
    except PublishFailed:
        return _form(request, form, _localised([reason("unavailable", None, *TEXTS["unavailable"])], lang), 503)
    if outcome.status == "rejected":
        return _form(request, form, _localised(outcome.reasons, lang), 422)
    return RedirectResponse(f"/lapor/kiriman/{outcome.poll_token}?lang={lang}", status_code=303)


async def show_submission(request: Request, ctx: AdapterContext) -> Response:
    outcome: Outcome | None = await ctx.gateway.outcome_by_token(request.path_params["token"])
    if outcome is None:
        return render(request, "status.html", 404, found=None, typed="", not_found=True)
    reasons = _localised(outcome.reasons, language(request))
    key = await ctx.gateway.take_reporter_key(outcome)  # shown once, on the first page that finds it accepted
    return render(request, "submission.html", outcome=outcome, reasons=reasons, reporter_key=key,
                  headers={"referrer-policy": "no-referrer"})


async def show_status(request: Request, ctx: AdapterContext) -> Response:
    typed = (request.query_params.get("nomor") or "").strip()
    if not typed:
        return render(request, "status.html", found=None, typed="", not_found=False)
    try:
        found = await status.lookup(ctx.pool, typed)
    except status.InvalidTrackingNumber as exc:
        problem = str(exc) if language(request) == "id" else status.INVALID_REASON_EN
        return render(request, "status.html", 400, found=None, typed=typed, not_found=False, problem=problem)
    return render(request, "status.html", 200 if found else 404, found=found, typed=typed, not_found=found is None)


def routes(ctx: AdapterContext) -> list[Route]:
    return [
        Route("/lapor", partial(show_form, ctx=ctx), methods=["GET"]),
        Route("/lapor", partial(submit_form, ctx=ctx), methods=["POST"]),
        Route("/lapor/kiriman/{token}", partial(show_submission, ctx=ctx), methods=["GET"]),
        Route("/lapor/status", partial(show_status, ctx=ctx), methods=["GET"]),
    ]
