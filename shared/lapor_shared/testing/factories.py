"""Factories of valid sample payloads and envelopes for tests.

Every call builds a fresh, valid object with its own unique ids (channel message id, complaint id,
tracking number, reporter ref); any field can be overridden by keyword::

    complaint_accepted(anonymous=True, location=location(region_code="18"))
    routed_envelope(complaint_routed(confidential=True), jurisdiction_code="18")
    accepted_envelope(caused_by=submitted_envelope())

Payload factories take payload fields; envelope factories take the payload (positional, optional)
and envelope fields (``producer``, ``caused_by``, ``complaint_id``, ``tracking_number``,
``jurisdiction_code``, ``occurred_at``, ``event_id``, and also ``correlation_id``/``causation_id``).
An unknown keyword is a ``TypeError``, not a silently ignored typo.

The samples respect the privacy rules: an ``anonymous`` accepted or routed complaint gets no
``reporter_ref`` unless the test sets one on purpose, and a contact travels only encrypted, as intake
shares it with notify (``contact_shared(accepted, reporter_contact())``).
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from pydantic import BaseModel

from lapor_shared import reporter_proof, tracking
from lapor_shared.crypto import ContactCipher
from lapor_shared.events.envelope import Envelope, Payload
from lapor_shared.events.intake import (
    ComplaintAccepted,
    ComplaintSubmitted,
    ReporterContactErased,
    ReporterContactShared,
    SubmissionAccepted,
)
from lapor_shared.events.lifecycle import ComplaintRouted
from lapor_shared.events.values import (
    AgencyLevel,
    AgencyRef,
    Channel,
    Location,
    Reason,
    ReporterContact,
    ReportType,
)
from lapor_shared.settings import ServiceSettings

P = TypeVar("P", bound=Payload)
M = TypeVar("M", bound=BaseModel)

_sequence = itertools.count(1)

SAMPLE_REGION = "18.71"
"""Kota Bandar Lampung, in Lampung province (``18``)."""


def _build(model: type[M], defaults: dict[str, Any], overrides: dict[str, Any]) -> M:
    unknown = set(overrides) - set(model.model_fields)
    if unknown:
        raise TypeError(f"{model.__name__} has no field(s) {sorted(unknown)}")
    return model(**{**defaults, **overrides})


def channel_message_id() -> str:
    """A channel message id no other call returns."""
    return f"msg-{next(_sequence)}-{uuid4().hex[:12]}"


def tracking_number() -> str:
    """A unique, valid tracking number, as intake issues them."""
    return tracking.random_number()


def reason(**overrides: Any) -> Reason:
    return _build(Reason, {
        "code": "region_general_office",
        "field": "location.region_code",
        "message_id": "Dialamatkan ke unit pengaduan Kota Bandar Lampung sesuai kode wilayah 18.71.",
        "message_en": "Sent to the general complaints office of Kota Bandar Lampung by region code 18.71.",
    }, overrides)


def location(**overrides: Any) -> Location:
    return _build(Location, {
        "region_code": SAMPLE_REGION,
        "latitude": -5.4292,
        "longitude": 105.2610,
        "text": "Jl. Teuku Umar, depan SD Negeri 2",
    }, overrides)


def reporter_contact(**overrides: Any) -> ReporterContact:
    n = next(_sequence)
    return _build(ReporterContact, {
        "name": f"Warga Contoh {n}",
        "phone": f"+62812{n:08d}"[:15],
        "email": f"warga{n}@example.org",
    }, overrides)


def agency_ref(**overrides: Any) -> AgencyRef:
    return _build(AgencyRef, {
        "agency_id": f"umum.{SAMPLE_REGION}",
        "name": "Unit Pengaduan Pemerintah Kota Bandar Lampung",
        "level": AgencyLevel.REGENCY,
        "jurisdiction_code": SAMPLE_REGION,
    }, overrides)


_TITLE = "Jalan berlubang di depan sekolah"
_DESCRIPTION = (
    "Jalan di depan SD Negeri 2 berlubang sejak bulan lalu dan membahayakan anak-anak yang "
    "berangkat sekolah. Mohon segera diperbaiki."
)


def complaint_submitted(**overrides: Any) -> ComplaintSubmitted:
    """A submission as a channel adapter publishes it, acceptable to intake's validation."""
    return _build(ComplaintSubmitted, {
        "channel": Channel.WEB,
        "channel_message_id": channel_message_id(),
        "report_type": ReportType.PENGADUAN.value,
        "title": _TITLE,
        "description": _DESCRIPTION,
        "incident_date": date(2025, 3, 3),
        "location": location(),
        "category_hint": "jalan",
        "reporter": reporter_contact(),
        "anonymous": False,
        "confidential": False,
        "submitted_at": datetime.now(UTC),
    }, overrides)


def complaint_accepted(**overrides: Any) -> ComplaintAccepted:
    """An accepted complaint; anonymous ones get no reporter ref unless ``reporter_ref`` is given."""
    anonymous = bool(overrides.get("anonymous", False))
    return _build(ComplaintAccepted, {
        "channel": Channel.WEB,
        "channel_message_id": channel_message_id(),
        "report_type": ReportType.PENGADUAN,
        "title": _TITLE,
        "description": _DESCRIPTION,
        "incident_date": date(2025, 3, 3),
        "location": location(),
        "category_hint": "jalan",
        "reporter_ref": None if anonymous else uuid4(),
        "anonymous": anonymous,
        "confidential": False,
        "submitted_at": datetime.now(UTC),
    }, overrides)


def submission_accepted(**overrides: Any) -> SubmissionAccepted:
    """Intake's answer to a channel: a fresh complaint id, tracking number and reporter's key."""
    return _build(SubmissionAccepted, {
        "channel": Channel.WEB,
        "channel_message_id": channel_message_id(),
        "complaint_id": uuid4(),
        "tracking_number": tracking_number(),
        "reporter_key": reporter_proof.issue(),
        "reporter_phone_hash": None,
    }, overrides)


def complaint_routed(**overrides: Any) -> ComplaintRouted:
    """A complaint routed to Kota Bandar Lampung's general office; anonymous ones get no reporter ref."""
    anonymous = bool(overrides.get("anonymous", False))
    return _build(ComplaintRouted, {
        "agency": agency_ref(),
        "reason": reason(),
        "category": "jalan",
        "report_type": ReportType.PENGADUAN,
        "title": _TITLE,
        "description": _DESCRIPTION,
        "incident_date": date(2025, 3, 3),
        "location": location(),
        "reporter_ref": None if anonymous else uuid4(),
        "anonymous": anonymous,
        "confidential": False,
        "submitted_at": datetime.now(UTC),
        "route_count": 1,
    }, overrides)


_NEW_ARGS = frozenset({
    "producer", "caused_by", "complaint_id", "tracking_number", "jurisdiction_code", "agency_id", "confidential",
    "occurred_at", "event_id",
})


def envelope(payload: P, **overrides: Any) -> Envelope[P]:
    """``Envelope.new(payload, ...)`` with producer ``tests``; other envelope fields are set afterwards."""
    new_args = {k: overrides.pop(k) for k in list(overrides) if k in _NEW_ARGS}
    new_args.setdefault("producer", "tests")
    built = Envelope.new(payload, **new_args)
    if not overrides:
        return built
    unknown = set(overrides) - set(Envelope.model_fields)
    if unknown:
        raise TypeError(f"Envelope has no field(s) {sorted(unknown)}")
    return type(built).model_validate({**dict(built), **overrides})


def submitted_envelope(
    payload: ComplaintSubmitted | None = None, **overrides: Any
) -> Envelope[ComplaintSubmitted]:
    """A submission as published by the web adapter (no complaint id yet)."""
    overrides.setdefault("producer", "web-adapter")
    return envelope(payload or complaint_submitted(), **overrides)


def _complaint_ids(overrides: dict[str, Any]) -> None:
    """Fresh complaint id and tracking number, unless given or inherited from ``caused_by``."""
    cause = overrides.get("caused_by")
    if cause is None or cause.complaint_id is None:
        overrides.setdefault("complaint_id", uuid4())
    if cause is None or cause.tracking_number is None:
        overrides.setdefault("tracking_number", tracking_number())


def accepted_envelope(
    payload: ComplaintAccepted | None = None, **overrides: Any
) -> Envelope[ComplaintAccepted]:
    """An accepted complaint as intake publishes it: new complaint id and tracking number, the
    reporter's region code as the jurisdiction."""
    payload = payload or complaint_accepted()
    _complaint_ids(overrides)
    overrides.setdefault("producer", "intake")
    if overrides.get("caused_by") is None or overrides["caused_by"].jurisdiction_code is None:
        overrides.setdefault("jurisdiction_code", payload.location.region_code)
    return envelope(payload, **overrides)


def submission_accepted_envelope(
    payload: SubmissionAccepted | None = None, **overrides: Any
) -> Envelope[SubmissionAccepted]:
    """``submission.accepted`` as intake publishes it: the envelope names the payload's complaint."""
    payload = payload or submission_accepted()
    overrides.setdefault("producer", "intake")
    overrides.setdefault("complaint_id", payload.complaint_id)
    overrides.setdefault("tracking_number", payload.tracking_number)
    return envelope(payload, **overrides)


def routed_envelope(payload: ComplaintRouted | None = None, **overrides: Any) -> Envelope[ComplaintRouted]:
    """A routed complaint as routing publishes it: the jurisdiction and the agency are the responsible
    agency's, and the envelope says whether it is rahasia."""
    payload = payload or complaint_routed()
    _complaint_ids(overrides)
    overrides.setdefault("producer", "routing")
    overrides.setdefault("jurisdiction_code", payload.agency.jurisdiction_code)
    overrides.setdefault("agency_id", payload.agency.agency_id)
    overrides.setdefault("confidential", payload.confidential)
    return envelope(payload, **overrides)


def contact_shared(
    cause: Envelope[Any], contact: ReporterContact, *, keys: str | None = None, reporter_ref: UUID | None = None,
    anonymous: bool = False, channel: str = "web", reporter_key: str | None = None,
) -> Envelope[ReporterContactShared]:
    """``reporter.contact_shared`` for the complaint of ``cause``, encrypted as intake encrypts it (with
    ``keys``, else the default key ring of the settings), with the reporter's key when one is given."""
    cipher = ContactCipher.from_setting(keys or ServiceSettings().contact_keys)
    key_id, token = cipher.encrypt(contact)
    ref = reporter_ref or getattr(cause.payload, "reporter_ref", None) or uuid4()
    payload = ReporterContactShared(reporter_ref=ref, channel=channel, anonymous=anonymous, key_id=key_id,
                                    ciphertext=token,
                                    key_ciphertext=cipher.encrypt_text(reporter_key) if reporter_key else None)
    return envelope(payload, producer="intake", caused_by=cause)


def contact_erased(reporter_ref: UUID, cause: Envelope[Any] | None = None) -> Envelope[ReporterContactErased]:
    """``reporter.contact_erased`` as intake publishes it once a reporter asked to be forgotten."""
    payload = ReporterContactErased(reporter_ref=reporter_ref, erased_at=datetime.now(UTC))
    return envelope(payload, producer="intake", **({"caused_by": cause} if cause is not None else {}))
