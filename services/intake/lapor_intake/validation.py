"""What makes a submission acceptable, and a clear reason for each way it is not.

Longer than ~300 lines on purpose: it is the catalogue of intake's rules, one small function per part of
the form, each with its sentences in both languages; split, the table below would point into several files.

Pure functions of the submission: no I/O. Every reason carries a machine code, the field, and a
sentence in Bahasa Indonesia and in English. ``check`` also returns the reporter's contact in its
normalised form (phone in E.164, e-mail address normalised), which is what intake stores.

Codes (field in brackets):

| code | meaning |
|---|---|
| ``required`` | a required text is empty (title, description) |
| ``too_short`` / ``too_long`` | a text is shorter or longer than allowed |
| ``markup_not_allowed`` | a text contains HTML tags or comments |
| ``control_characters`` | a text contains control characters, lone surrogates or bidi overrides |
| ``unknown_report_type`` | report_type is not pengaduan, aspirasi or permintaan_informasi |
| ``location_required`` | no region code, no coordinates and no location text |
| ``unknown_region`` | the region code is not a Kemendagri province, regency or city code |
| ``incomplete_coordinates`` | latitude without longitude or the reverse |
| ``outside_indonesia`` | the coordinates lie outside Indonesia's bounding box |
| ``naive_timestamp`` | submitted_at has no time zone |
| ``in_future`` | submitted_at (beyond the allowed clock skew) or incident_date lies in the future |
| ``invalid_phone`` | the phone number cannot be parsed or is not a valid number (landlines are valid) |
| ``invalid_email`` | the e-mail address is not valid |
| ``contact_required`` | a channel that cannot answer by itself, no phone or e-mail, and not anonim |
| ``too_many_attachments`` | more attachments than allowed |
| ``attachment_url_scheme`` | an attachment URL is not https |
| ``attachment_url_credentials`` | an attachment URL carries a user name or password |
| ``attachment_too_large`` | an attachment is larger than allowed |
| ``attachment_media_type`` | an attachment's media type is not on the allow-list |

The service adds ``rate_limited`` (abuse limits) and ``malformed`` (a message intake cannot read
as a submission at all).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from lapor_shared import geo
from lapor_shared.events.intake import ComplaintSubmitted
from lapor_shared.events.values import Attachment, Reason, ReporterContact, ReportType, reason, unsafe_link_reasons
from lapor_shared.regions import is_known

TITLE_MIN, TITLE_MAX = 3, 200
DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 10_000
LOCATION_TEXT_MAX = 500
CATEGORY_HINT_MAX = 100
AGENCY_HINT_MAX = 200
NAME_MAX = 200

# Indonesia from Weh island to the Papua border and from Miangas to Rote, with a small margin for the sea.

_EASTERNMOST = timezone(timedelta(hours=9), "WIT")
"""Waktu Indonesia Timur: the last Indonesian time zone to reach a date, so 'today' anywhere in Indonesia."""

DEFAULT_MEDIA_TYPES = frozenset({
    "image/jpeg", "image/png", "image/webp", "image/heic", "image/gif",
    "application/pdf", "video/mp4", "video/3gpp", "audio/mpeg", "audio/ogg", "audio/mp4", "audio/amr",
})

_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][\w:-]*(\s[^<>]*)?/?\s*>|<!--|<!\[CDATA\[|<!doctype", re.IGNORECASE)
# Unicode category Cc (C0 and C1 controls), lone surrogates, and the bidi embedding/override/isolate controls.
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_FORBIDDEN_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Policy:
    """The limits validation applies; services build it from their settings."""

    max_future_skew_s: int = 600
    attachment_max_count: int = 10
    attachment_max_bytes: int = 25 * 1024 * 1024
    attachment_media_types: frozenset[str] = DEFAULT_MEDIA_TYPES
    reply_channels: frozenset[str] = frozenset({"sms", "call_centre", "paper"})

    @classmethod
    def from_settings(cls, settings: Any) -> Policy:
        return cls(
            max_future_skew_s=settings.max_future_skew_s,
            attachment_max_count=settings.attachment_max_count,
            attachment_max_bytes=settings.attachment_max_bytes,
            attachment_media_types=frozenset(t.lower() for t in settings.attachment_media_types),
            reply_channels=frozenset(settings.reply_channels),
        )


@dataclass(frozen=True)
class Checked:
    """The outcome of validation: the problems (empty when acceptable) and the normalised contact."""

    problems: list[Reason] = field(default_factory=list)
    contact: ReporterContact | None = None
    """Name stripped, phone in E.164, e-mail normalised; None when the reporter left no contact."""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _TextRule:
    field: str
    label_id: str
    label_en: str
    maximum: int
    minimum: int = 0
    required: bool = False
    multiline: bool = False


_TITLE = _TextRule("title", "Judul", "Title", TITLE_MAX, TITLE_MIN, required=True)
_DESCRIPTION = _TextRule(
    "description", "Isi laporan", "Description", DESCRIPTION_MAX, DESCRIPTION_MIN, required=True, multiline=True
)
_LOCATION_TEXT = _TextRule("location.text", "Keterangan lokasi", "Location text", LOCATION_TEXT_MAX, multiline=True)
_CATEGORY = _TextRule("category_hint", "Kategori", "Category", CATEGORY_HINT_MAX)
_AGENCY = _TextRule("target_agency_hint", "Instansi tujuan", "Target agency", AGENCY_HINT_MAX)
_NAME = _TextRule("reporter.name", "Nama pelapor", "Reporter name", NAME_MAX)


def has_forbidden_characters(text: str, *, multiline: bool = False) -> bool:
    """Control characters (tab and line breaks allowed in multi-line texts), lone surrogates, bidi overrides."""
    return bool((_FORBIDDEN_MULTILINE if multiline else _FORBIDDEN).search(text))


def _text(rule: _TextRule, value: str | None) -> list[Reason]:
    text = (value or "").strip()
    if not text:
        if rule.required:
            return [reason("required", field=rule.field, message_id=f"{rule.label_id} wajib diisi.",
                           message_en=f"{rule.label_en} is required.")]
        return []
    problems = []
    if len(text) < rule.minimum:
        problems.append(reason(
            "too_short", field=rule.field,
            message_id=f"{rule.label_id} terlalu pendek (minimal {rule.minimum} karakter).",
            message_en=f"{rule.label_en} is too short (at least {rule.minimum} characters).",
        ))
    if len(text) > rule.maximum:
        problems.append(reason(
            "too_long", field=rule.field,
            message_id=f"{rule.label_id} terlalu panjang (maksimal {rule.maximum} karakter).",
            message_en=f"{rule.label_en} is too long (at most {rule.maximum} characters).",
        ))
    if _HTML.search(text):
        problems.append(reason(
            "markup_not_allowed", field=rule.field, message_id=f"{rule.label_id} tidak boleh berisi tag HTML.",
            message_en=f"{rule.label_en} must not contain HTML tags.",
        ))
    if has_forbidden_characters(text, multiline=rule.multiline):
        where_id = "" if rule.multiline else " (termasuk baris baru)"
        where_en = "" if rule.multiline else " (line breaks included)"
        problems.append(reason(
            "control_characters", field=rule.field,
            message_id=f"{rule.label_id} berisi karakter kontrol yang tidak diizinkan{where_id}.",
            message_en=f"{rule.label_en} contains characters that are not allowed{where_en}.",
        ))
    return problems


def normalise_phone(raw: str) -> str | None:
    """E.164 form of an Indonesian (or international) number, or None when it is not a valid number."""
    try:
        number = phonenumbers.parse(raw, "ID")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str | None:
    """The normalised address, or None when it is not a valid e-mail address (no DNS look-up)."""
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def _contact(submission: ComplaintSubmitted, policy: Policy) -> tuple[list[Reason], ReporterContact | None]:
    given = submission.reporter
    name = (given.name or "").strip() if given else ""
    phone_raw = (given.phone or "").strip() if given else ""
    email_raw = (given.email or "").strip() if given else ""
    problems = _text(_NAME, name)
    phone = email = None
    if phone_raw:
        phone = normalise_phone(phone_raw)
        if phone is None:
            problems.append(reason(
                "invalid_phone", field="reporter.phone",
                message_id="Nomor telepon tidak valid (contoh: 0812-3456-7890 atau +62 21 3456789).",
                message_en="The phone number is not valid (for example 0812-3456-7890 or +62 21 3456789).",
            ))
    if email_raw:
        email = normalise_email(email_raw)
        if email is None:
            problems.append(reason(
                "invalid_email", field="reporter.email",
                message_id="Alamat email tidak valid (contoh: nama@contoh.id).",
                message_en="The e-mail address is not valid (for example name@example.id).",
            ))
    if not phone_raw and not email_raw and not submission.anonymous and submission.channel in policy.reply_channels:
        problems.append(reason(
            "contact_required", field="reporter",
            message_id="Kanal ini tidak dapat membalas sendiri: isi nomor telepon atau email, atau pilih lapor "
                       "secara anonim.",
            message_en="This channel cannot answer by itself: give a phone number or an e-mail address, or choose "
                       "anonymous.",
        ))
    if not (name or phone or email):
        return problems, None
    return problems, ReporterContact(name=name or None, phone=phone, email=email)


def _location(submission: ComplaintSubmitted) -> list[Reason]:
    loc = submission.location
    problems = _text(_LOCATION_TEXT, loc.text)
    has_coordinates = loc.latitude is not None or loc.longitude is not None
    if not loc.region_code and not has_coordinates and not (loc.text or "").strip():
        problems.append(reason(
            "location_required", field="location",
            message_id="Lokasi wajib diisi: kode wilayah, titik koordinat, atau keterangan lokasi.",
            message_en="A location is required: a region code, coordinates or a location text.",
        ))
    if loc.region_code is not None and not is_known(loc.region_code):
        problems.append(reason(
            "unknown_region", field="location.region_code",
            message_id="Kode wilayah tidak dikenal (gunakan kode Kemendagri, mis. 18.71).",
            message_en="The region code is unknown (use a Kemendagri code such as 18.71).",
        ))
    if (loc.latitude is None) != (loc.longitude is None):
        problems.append(reason(
            "incomplete_coordinates", field="location",
            message_id="Titik koordinat harus berisi lintang dan bujur sekaligus.",
            message_en="Coordinates need both a latitude and a longitude.",
        ))
    elif loc.latitude is not None and loc.longitude is not None and geo.outside_indonesia(loc.latitude, loc.longitude):
        problems.append(reason(
            "outside_indonesia", field="location",
            message_id="Titik koordinat berada di luar wilayah Indonesia.",
            message_en="The coordinates lie outside Indonesia.",
        ))
    return problems


def _attachment(index: int, attachment: Attachment, policy: Policy) -> list[Reason]:
    problems: list[Reason] = []
    where = f"attachments[{index}]"
    number = index + 1
    if attachment.size_bytes > policy.attachment_max_bytes:
        limit_mb = policy.attachment_max_bytes // (1024 * 1024)
        problems.append(reason(
            "attachment_too_large", field=f"{where}.size_bytes",
            message_id=f"Lampiran ke-{number} terlalu besar (maksimal {limit_mb} MB).",
            message_en=f"Attachment {number} is too large (at most {limit_mb} MB).",
        ))
    media_type = attachment.media_type.split(";", 1)[0].strip().lower()
    if media_type not in policy.attachment_media_types:
        problems.append(reason(
            "attachment_media_type", field=f"{where}.media_type",
            message_id=f"Jenis berkas lampiran ke-{number} tidak diizinkan (gunakan foto, PDF, video, atau audio).",
            message_en=f"The file type of attachment {number} is not allowed (use a photo, PDF, video or audio).",
        ))
    return problems


def _attachments(attachments: Iterable[Attachment], policy: Policy) -> list[Reason]:
    items = list(attachments)
    problems = []
    if len(items) > policy.attachment_max_count:
        problems.append(reason(
            "too_many_attachments", field="attachments",
            message_id=f"Terlalu banyak lampiran (maksimal {policy.attachment_max_count}).",
            message_en=f"Too many attachments (at most {policy.attachment_max_count}).",
        ))
    counted = items[: policy.attachment_max_count]
    problems += unsafe_link_reasons(counted)
    for index, attachment in enumerate(counted):
        problems += _attachment(index, attachment, policy)
    return problems


def _times(submission: ComplaintSubmitted, now: datetime, policy: Policy) -> list[Reason]:
    problems = []
    submitted = submission.submitted_at
    if submitted.tzinfo is None:
        problems.append(reason(
            "naive_timestamp", field="submitted_at", message_id="Waktu pengiriman harus menyertakan zona waktu.",
            message_en="submitted_at must include a time zone.",
        ))
    elif submitted > now + timedelta(seconds=policy.max_future_skew_s):
        problems.append(reason(
            "in_future", field="submitted_at", message_id="Waktu pengiriman berada di masa depan.",
            message_en="submitted_at is in the future.",
        ))
    if submission.incident_date is not None and submission.incident_date > now.astimezone(_EASTERNMOST).date():
        problems.append(reason(
            "in_future", field="incident_date", message_id="Tanggal kejadian berada di masa depan.",
            message_en="incident_date is in the future.",
        ))
    return problems


def check(submission: ComplaintSubmitted, *, now: datetime | None = None, policy: Policy | None = None) -> Checked:
    """Every reason ``submission`` cannot be accepted, and its normalised contact."""
    now = now or datetime.now(UTC)
    policy = policy or Policy()
    problems: list[Reason] = []
    if has_forbidden_characters(submission.channel_message_id):
        problems.append(reason(
            "control_characters", field="channel_message_id",
            message_id="Nomor pesan kanal berisi karakter kontrol.",
            message_en="channel_message_id contains control characters.",
        ))
    problems += _text(_TITLE, submission.title)
    problems += _text(_DESCRIPTION, submission.description)
    if submission.report_type not in {t.value for t in ReportType}:
        problems.append(reason(
            "unknown_report_type", field="report_type",
            message_id="Jenis laporan harus pengaduan, aspirasi, atau permintaan_informasi.",
            message_en="report_type must be pengaduan, aspirasi or permintaan_informasi.",
        ))
    problems += _location(submission)
    problems += _text(_CATEGORY, submission.category_hint)
    problems += _text(_AGENCY, submission.target_agency_hint)
    problems += _attachments(submission.attachments, policy)
    problems += _times(submission, now, policy)
    contact_problems, contact = _contact(submission, policy)
    problems += contact_problems
    return Checked(problems, contact)
