"""What makes a submission acceptable, and a clear reason for each way it is not.

Pure functions of the submission: no I/O. Every reason carries a machine code, the field, and a
sentence in Bahasa Indonesia and in English.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from lapor_shared.events.intake import ComplaintSubmitted
from lapor_shared.events.values import Reason, ReportType
from lapor_shared.regions import is_known

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
DESCRIPTION_MIN = 10
_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _reason(code: str, field: str, message_id: str, message_en: str) -> Reason:
    return Reason(code=code, field=field, message_id=message_id, message_en=message_en)


def _text_problems(field: str, label_id: str, value: str, *, minimum: int, maximum: int) -> list[Reason]:
    text = value.strip()
    if not text:
        return [_reason("required", field, f"{label_id} wajib diisi.", f"{field} is required.")]
    problems = []
    if len(text) < minimum:
        problems.append(_reason(
            "too_short", field, f"{label_id} terlalu pendek (minimal {minimum} karakter).",
            f"{field} is too short (at least {minimum} characters).",
        ))
    if len(text) > maximum:
        problems.append(_reason(
            "too_long", field, f"{label_id} terlalu panjang (maksimal {maximum} karakter).",
            f"{field} is too long (at most {maximum} characters).",
        ))
    if _HTML.search(text):
        problems.append(_reason(
            "markup_not_allowed", field, f"{label_id} tidak boleh berisi tag HTML.",
            f"{field} must not contain HTML tags.",
        ))
    if _CONTROL.search(text):
        problems.append(_reason(
            "control_characters", field, f"{label_id} berisi karakter kontrol yang tidak diizinkan.",
            f"{field} contains control characters.",
        ))
    return problems


def validate(submission: ComplaintSubmitted, *, now: datetime | None = None, max_skew_s: int = 600) -> list[Reason]:
    """All the reasons ``submission`` cannot be accepted (empty when it can)."""
    now = now or datetime.now(UTC)
    problems: list[Reason] = []
    problems += _text_problems("title", "Judul", submission.title, minimum=3, maximum=TITLE_MAX)
    problems += _text_problems(
        "description", "Isi laporan", submission.description, minimum=DESCRIPTION_MIN, maximum=DESCRIPTION_MAX
    )
    if submission.report_type not in {t.value for t in ReportType}:
        problems.append(_reason(
            "unknown_report_type", "report_type",
            "Jenis laporan harus pengaduan, aspirasi, atau permintaan_informasi.",
            "report_type must be pengaduan, aspirasi or permintaan_informasi.",
        ))
    code = submission.location.region_code
    if code is not None and not is_known(code):
        problems.append(_reason(
            "unknown_region", "location.region_code",
            f"Kode wilayah {code!r} tidak dikenal (gunakan kode Kemendagri, mis. 18.71).",
            f"Region code {code!r} is unknown (use a Kemendagri code such as 18.71).",
        ))
    submitted = submission.submitted_at
    if submitted.tzinfo is None:
        problems.append(_reason(
            "naive_timestamp", "submitted_at", "Waktu pengiriman harus menyertakan zona waktu.",
            "submitted_at must include a time zone.",
        ))
    elif submitted > now + timedelta(seconds=max_skew_s):
        problems.append(_reason(
            "in_future", "submitted_at", "Waktu pengiriman berada di masa depan.", "submitted_at is in the future.",
        ))
    if submission.incident_date is not None and submission.incident_date > (now + timedelta(days=1)).date():
        problems.append(_reason(
            "in_future", "incident_date", "Tanggal kejadian berada di masa depan.", "incident_date is in the future.",
        ))
    return problems
