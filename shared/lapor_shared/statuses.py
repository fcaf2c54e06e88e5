"""The statuses a complaint passes through, and what they are called in Bahasa Indonesia and English.

Reference data, one wording for every page that shows a status: the gateway's status pages, Open311
and SMS replies, followup's status API, the oversight dashboard. The wording is neutral (third
person, no "Anda"), since the same label is read by the reporter, the public and officials. Which
events lead to which status is each service's own business (followup's state machine, the
projections of the gateway and the dashboard); a service may keep its own status codes on its API,
but takes their labels from here.
"""

from __future__ import annotations

from enum import StrEnum


class ComplaintStatus(StrEnum):
    SUBMITTED = "submitted"
    """Accepted by intake, not yet placed by routing."""
    TRIAGE = "triage"
    ROUTED = "routed"
    FORWARDED = "forwarded"
    ACKNOWLEDGED = "acknowledged"
    RESPONDED = "responded"
    REPORTER_REPLIED = "reporter_replied"
    REOPENED = "reopened"
    HELD = "held"
    CLOSED = "closed"
    ARCHIVED = "archived"


LABELS: dict[ComplaintStatus, tuple[str, str]] = {
    ComplaintStatus.SUBMITTED: ("Diterima, menunggu verifikasi", "Received, awaiting verification"),
    ComplaintStatus.TRIAGE: ("Ditelaah untuk menentukan instansi yang berwenang",
                             "Being reviewed to find the responsible agency"),
    ComplaintStatus.ROUTED: ("Diteruskan ke instansi yang berwenang", "Sent to the responsible agency"),
    ComplaintStatus.FORWARDED: ("Dilimpahkan ke instansi lain", "Forwarded to another agency"),
    ComplaintStatus.ACKNOWLEDGED: ("Diterima instansi, sedang diproses", "Acknowledged by the agency, in progress"),
    ComplaintStatus.RESPONDED: ("Ditindaklanjuti oleh instansi", "Followed up by the agency"),
    ComplaintStatus.REPORTER_REPLIED: ("Pelapor menanggapi tindak lanjut", "The reporter replied to the follow-up"),
    ComplaintStatus.REOPENED: ("Dibuka kembali", "Reopened"),
    ComplaintStatus.HELD: ("Ditunda", "On hold"),
    ComplaintStatus.CLOSED: ("Selesai", "Closed"),
    ComplaintStatus.ARCHIVED: ("Diarsipkan", "Archived"),
}
"""(Bahasa Indonesia, English) per status."""


EVENT_LABELS: dict[str, tuple[str, str]] = {
    "complaint.accepted": ("Laporan diterima platform", "Accepted by the platform"),
    "complaint.needs_triage": ("Perlu verifikasi admin", "Needs triage"),
    "complaint.routed": ("Didisposisikan ke instansi", "Routed to an agency"),
    "complaint.forwarded": ("Dilimpahkan ke instansi lain", "Forwarded to another agency"),
    "complaint.held": ("Ditunda", "Put on hold"),
    "complaint.archived": ("Diarsipkan", "Archived"),
    "complaint.acknowledged": ("Diterima instansi", "Acknowledged by the agency"),
    "complaint.responded": ("Ditindaklanjuti instansi", "Followed up by the agency"),
    "complaint.reporter_replied": ("Pelapor menanggapi", "The reporter replied"),
    "complaint.rated": ("Pelapor memberi penilaian", "The reporter rated"),
    "complaint.deadline_set": ("Tenggat ditetapkan", "Deadline set"),
    "complaint.deadline_extended": ("Tenggat diperpanjang", "Deadline extended"),
    "complaint.deadline_warning": ("Peringatan tenggat", "Deadline warning"),
    "complaint.deadline_breached": ("Tenggat terlewati", "Deadline missed"),
    "complaint.escalated": ("Dieskalasi ke tingkat atas", "Escalated one level up"),
    "complaint.closed": ("Ditutup", "Closed"),
    "complaint.reopened": ("Dibuka kembali", "Reopened"),
}
"""(Bahasa Indonesia, English) per lifecycle event type, as a timeline names it (a page may reword some)."""

STAGE_LABELS: dict[str, tuple[str, str]] = {
    "verification": ("verifikasi", "verification"),
    "acknowledgement": ("penerimaan", "acknowledgement"),
    "follow_up": ("tindak lanjut", "follow-up"),
    "auto_close": ("tutup otomatis", "auto-close"),
    "resolution": ("penyelesaian", "resolution"),
}
"""(Bahasa Indonesia, English) per deadline stage (``lapor_shared.events.lifecycle.Stage``): what the clock
that runs is for."""


def label(status: str) -> tuple[str, str]:
    """(Bahasa Indonesia, English) of a status code; an unknown code is shown as it is."""
    try:
        return LABELS[ComplaintStatus(status)]
    except ValueError:
        return status, status
