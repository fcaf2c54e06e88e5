"""Value types used inside payloads. Plain data: validation of business meaning is the services' job."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AnyUrl, BaseModel, ConfigDict, Field

NATIONAL_CODE = "ID"
"""Jurisdiction code of the nation (Kemendagri codes start at the provinces, ``11`` … ``96``)."""


class Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ReportType(StrEnum):
    PENGADUAN = "pengaduan"
    ASPIRASI = "aspirasi"
    PERMINTAAN_INFORMASI = "permintaan_informasi"


class Channel(StrEnum):
    WEB = "web"
    MOBILE = "mobile"
    SMS = "sms"
    TWITTER = "twitter"
    LINE = "line"
    TELEGRAM = "telegram"
    MESSENGER = "messenger"
    CALL_CENTRE = "call_centre"
    PAPER = "paper"
    OPEN311 = "open311"


class AgencyLevel(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    REGENCY = "regency"


class Location(Value):
    region_code: str | None = Field(default=None, description="Kemendagri code, e.g. 18.71", max_length=20)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    text: str | None = Field(default=None, description="Free-text location as the reporter wrote it", max_length=500)


class Attachment(Value):
    url: AnyUrl
    media_type: str = Field(max_length=100)
    size_bytes: int = Field(ge=0)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


EVIDENCE_ID_PATTERN = r"^[0-9a-f]{32}\.(jpg|png|webp|pdf)$"


class Evidence(Value):
    """A file the platform stores itself (``lapor_shared.evidence``): a reference, never a public URL.
    Readers get a short-lived signed link to ``/bukti/{object_id}`` from whoever may show it to them."""

    object_id: str = Field(pattern=EVIDENCE_ID_PATTERN, description="32 hex digits and the stored type's extension")
    media_type: str = Field(pattern=r"^(image/jpeg|image/png|image/webp|application/pdf)$")
    size_bytes: int = Field(ge=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the stored (sanitised) bytes, hex")


class ReporterContact(Value):
    """Who the reporter is and how to reach them. Travels only to intake and, encrypted, to notify."""

    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)


class Reason(Value):
    """A machine code and a sentence for people, in Bahasa Indonesia first and English second."""

    code: str
    message_id: str
    message_en: str
    field: str | None = None


def reason(code: str, *, message_id: str, message_en: str, field: str | None = None) -> Reason:
    """The one way to say why: ``reason("too_long", field="title", message_id="…", message_en="…")``.

    The code is the machine's, the sentences are for people (Bahasa Indonesia first), ``field`` names the
    part of the message at fault, if any. Keyword-only, so no call can swap a sentence and a field.
    """
    return Reason(code=code, message_id=message_id, message_en=message_en, field=field)


def unsafe_link_reasons(attachments: list[Attachment], *, field: str = "attachments") -> list[Reason]:
    """Why any of these attachments may not be shown to a person or fetched: a link that is not
    ``https`` (anyone on the way could read or swap what it points to) or that carries a user name or
    password. Intake refuses such a submission and followup such an agency response or reporter reply,
    with these reasons."""
    problems = []
    for index, attachment in enumerate(attachments):
        where, number = f"{field}[{index}].url", index + 1
        if attachment.url.scheme != "https":
            problems.append(reason(
                "attachment_url_scheme", field=where,
                message_id=f"Lampiran ke-{number} harus berupa alamat https.",
                message_en=f"Attachment {number} must be an https URL.",
            ))
        if attachment.url.username or attachment.url.password:
            problems.append(reason(
                "attachment_url_credentials", field=where,
                message_id=f"Alamat lampiran ke-{number} tidak boleh berisi nama pengguna atau kata sandi.",
                message_en=f"The URL of attachment {number} must not contain a user name or password.",
            ))
    return problems


class AgencyRef(Value):
    agency_id: str
    name: str
    level: AgencyLevel
    jurisdiction_code: str
