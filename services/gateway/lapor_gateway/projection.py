"""The public view of every complaint, projected from ``lapor.complaints`` (consumer ``gateway.view``;
Open311 requests and the status pages read it). An acceptance on the results topic enters the number
alone (``service.record_answers``): the channel's answer carries no content, so until ``complaint.accepted``
arrives the row has none and counts as rahasia. The reporter's own view is ``timeline.py``. Each event
type's change is a row added to a run's ``ViewChanges``, which ``view.View`` applies with one statement
per kind of row.

Privacy by construction: a rahasia (confidential) complaint's content never enters the view, nothing
about any reporter does, and the status notes are fixed public-safe sentences (never an agency's or
a reporter's own text).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lapor_gateway import batch_repository as batch
from lapor_shared import categories, geo, statuses
from lapor_shared.db import Conn
from lapor_shared.events import Envelope, Payload
from lapor_shared.events.intake import ComplaintAccepted
from lapor_shared.events.lifecycle import (
    ComplaintAcknowledged,
    ComplaintArchived,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintForwarded,
    ComplaintHeld,
    ComplaintNeedsTriage,
    ComplaintReopened,
    ComplaintReporterReplied,
    ComplaintResponded,
    ComplaintRouted,
    DeadlineExtended,
    DeadlineSet,
)

PUBLIC_STATUSES: dict[str, statuses.ComplaintStatus] = {
    "diterima": statuses.ComplaintStatus.SUBMITTED,
    "ditelaah": statuses.ComplaintStatus.TRIAGE,
    "didisposisikan": statuses.ComplaintStatus.ROUTED,
    "dilimpahkan": statuses.ComplaintStatus.FORWARDED,
    "dibaca": statuses.ComplaintStatus.ACKNOWLEDGED,
    "ditindaklanjuti": statuses.ComplaintStatus.RESPONDED,
    "ditunda": statuses.ComplaintStatus.HELD,
    "diarsipkan": statuses.ComplaintStatus.ARCHIVED,
    "selesai": statuses.ComplaintStatus.CLOSED,
    "dibuka_kembali": statuses.ComplaintStatus.REOPENED,
}
"""The status codes of the public pages and API (Bahasa Indonesia, part of their contract) and the
platform's status each one is, whose label (``lapor_shared.statuses``) they show."""

_CLOSED_NOTES = {
    "resolved": ("Laporan selesai ditindaklanjuti.", "The complaint was resolved."),
    "auto_close": ("Laporan ditutup otomatis karena tidak ada tanggapan pelapor.",
                   "Closed automatically: the reporter did not reply."),
    "admin": ("Laporan ditutup oleh admin.", "Closed by an administrator."),
    "archived": ("Laporan diarsipkan.", "The complaint was archived."),
}


def _notes(text_id: str, text_en: str) -> str:
    return f"{text_id} / {text_en}"


@dataclass
class ViewChanges:
    """The rows a run of events changes in the view, one list per statement (``batch_repository``), for
    complaints that are all different (``view.py`` cuts a run where one comes again)."""

    accepted: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)

    async def apply(self, conn: Conn) -> None:
        await batch.upsert_accepted(conn, self.accepted)
        await batch.apply_statuses(conn, self.statuses)
        await batch.apply_deadlines(conn, self.deadlines)


Change = Callable[[ViewChanges, Envelope[Any]], None]


def label(lifecycle_status: str) -> tuple[str, str]:
    """(Bahasa Indonesia, English) of a public status code."""
    known = PUBLIC_STATUSES.get(lifecycle_status)
    return statuses.label(known) if known is not None else (lifecycle_status, lifecycle_status)


def on_accepted(changes: ViewChanges, envelope: Envelope[Any]) -> None:
    accepted: ComplaintAccepted = envelope.payload
    assert envelope.complaint_id is not None  # _about_a_complaint and the service let only these through
    hidden = accepted.confidential
    location = accepted.location
    media = next((str(a.url) for a in accepted.attachments if a.media_type.startswith("image/")), None)
    # the public's signed links: a rahasia complaint's files are not theirs ('[]' leaves the column as is)
    evidence = [e.model_dump(mode="json") for e in accepted.evidence] if not hidden else []
    changes.accepted.append(dict(
        complaint_id=envelope.complaint_id,
        tracking_number=envelope.tracking_number,
        channel=str(accepted.channel),
        report_type=str(accepted.report_type),
        service_code=categories.resolve_or_general(accepted.category_hint).code,
        title=None if hidden else accepted.title,
        description=None if hidden else accepted.description,
        address=None if hidden else location.text,
        latitude=None if hidden else location.latitude,
        longitude=None if hidden else location.longitude,
        media_url=None if hidden else media,
        region_code=None if hidden else _region(location.region_code, location.latitude, location.longitude),
        confidential=accepted.confidential,
        anonymous=accepted.anonymous,
        requested_at=accepted.submitted_at,
        occurred_at=envelope.occurred_at,
        status_notes=_notes("Laporan diterima dan menunggu verifikasi.", "Received, awaiting verification."),
        evidence=json.dumps(evidence),
    ))


def _region(code: str | None, latitude: float | None, longitude: float | None) -> str | None:
    """The region a listing by ``jurisdiction_id`` finds the complaint in, by routing's precedence
    (docs/jurisdictions.md): a point inside a boundary, else the code, else a point near one."""
    if latitude is None or longitude is None or geo.outside_indonesia(latitude, longitude):
        return code
    place = geo.locate_point(latitude, longitude)
    return place.code if place.status == "inside" or not code else code


def on_deadline(changes: ViewChanges, envelope: Envelope[Any]) -> None:
    if envelope.payload.stage != "auto_close":  # the reporter's clock, not the agency's
        assert envelope.complaint_id is not None  # _about_a_complaint let only these through
        changes.deadlines.append(dict(complaint_id=envelope.complaint_id, tracking_number=envelope.tracking_number,
                                      due_at=envelope.payload.due_at, occurred_at=envelope.occurred_at))


def _status(
    changes: ViewChanges, envelope: Envelope[Any], *, lifecycle: str | None, notes: tuple[str, str] | None,
    open311: str | None = None, agency: str | None = None, category: str | None = None,
) -> None:
    known = categories.resolve(category)
    assert envelope.complaint_id is not None  # _about_a_complaint let only these through
    changes.statuses.append(dict(
        complaint_id=envelope.complaint_id, tracking_number=envelope.tracking_number,
        lifecycle_status=lifecycle, open311_status=open311, status_notes=_notes(*notes) if notes else None,
        agency_name=agency, occurred_at=envelope.occurred_at, service_code=known.code if known else None,
    ))


def on_routed(changes: ViewChanges, envelope: Envelope[Any]) -> None:
    agency = envelope.payload.agency.name
    _status(changes, envelope, lifecycle="didisposisikan", agency=agency, category=envelope.payload.category,
                  notes=(f"Diteruskan ke {agency}.", f"Sent to {agency}."))


def on_needs_triage(changes: ViewChanges, envelope: Envelope[Any]) -> None:
    _status(changes, envelope, lifecycle="ditelaah", category=envelope.payload.category, notes=(
        "Sedang ditelaah admin untuk menentukan instansi yang berwenang.",
        "An administrator is finding the responsible agency.",
    ))


def on_forwarded(changes: ViewChanges, envelope: Envelope[Any]) -> None:
    agency = envelope.payload.to_agency.name
    _status(changes, envelope, lifecycle="dilimpahkan", agency=agency,
                  notes=(f"Dilimpahkan ke {agency}.", f"Forwarded to {agency}."))


def on_held(changes: ViewChanges, envelope: Envelope[Any]) -> None:
    _status(changes, envelope, lifecycle="ditunda", notes=("Laporan ditunda.", "The complaint is on hold."))


def on_archived(changes: ViewChanges, envelope: Envelope[Any]) -> None:
    _status(changes, envelope, lifecycle="diarsipkan", notes=_CLOSED_NOTES["archived"])


def on_acknowledged(changes: ViewChanges, envelope: Envelope[Any]) -> None:
    _status(changes, envelope, lifecycle="dibaca", notes=("Laporan telah dibaca instansi.", "The agency read it."))


def on_responded(changes: ViewChanges, envelope: Envelope[Any]) -> None:
    _status(changes, envelope, lifecycle="ditindaklanjuti", notes=(
        "Instansi telah memberikan tindak lanjut.", "The agency has followed up.",
    ))


def on_reporter_replied(changes: ViewChanges, envelope: Envelope[Any]) -> None:
    _status(changes, envelope, lifecycle=None, notes=("Pelapor memberikan tanggapan.", "The reporter replied."))


def on_escalated(changes: ViewChanges, envelope: Envelope[Any]) -> None:
    agency = envelope.payload.to_agency.name
    _status(changes, envelope, lifecycle=None, notes=(
        f"Tenggat terlewati, dieskalasi ke {agency}.", f"Deadline missed, escalated to {agency}.",
    ))


def on_closed(changes: ViewChanges, envelope: Envelope[Any]) -> None:
    notes = _CLOSED_NOTES.get(envelope.payload.reason, _CLOSED_NOTES["resolved"])
    _status(changes, envelope, lifecycle="selesai", open311="closed", notes=notes)


def on_reopened(changes: ViewChanges, envelope: Envelope[Any]) -> None:
    _status(changes, envelope, lifecycle="dibuka_kembali", open311="open", notes=(
        "Laporan dibuka kembali.", "The complaint was reopened.",
    ))


def _about_a_complaint(change: Change) -> Change:
    def guarded(changes: ViewChanges, envelope: Envelope[Any]) -> None:
        if envelope.complaint_id is not None:  # every lifecycle event has one; skip a malformed one
            change(changes, envelope)

    return guarded


_USE_CASES: dict[type[Payload], Change] = {
    ComplaintAccepted: on_accepted,
    ComplaintRouted: on_routed,
    ComplaintNeedsTriage: on_needs_triage,
    ComplaintForwarded: on_forwarded,
    ComplaintHeld: on_held,
    ComplaintArchived: on_archived,
    ComplaintAcknowledged: on_acknowledged,
    ComplaintResponded: on_responded,
    ComplaintReporterReplied: on_reporter_replied,
    ComplaintEscalated: on_escalated,
    ComplaintClosed: on_closed,
    ComplaintReopened: on_reopened,
    DeadlineSet: on_deadline,
    DeadlineExtended: on_deadline,
}
CHANGES = {type_: _about_a_complaint(change) for type_, change in _USE_CASES.items()}
"""What each event type changes in the view, added to a run's ``ViewChanges`` (``view.py``)."""
