"""Who is the reporter, and what the reporter reads: checking a proof, and the reporter's view of a
complaint (``timeline.py`` projects it) as a JSON-ready document for the tracking page and the API.

A proof is the reporter's key (``lapor_shared.reporter_proof``) with the tracking number, or, by SMS,
the sender's number whose keyed hash matches the reporter's. An unknown number and a wrong proof are
one answer (``NotTheReporter``): one query and one constant-time comparison either way, so neither
the answer nor its timing tells whether a number exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from lapor_gateway import reporter_repository as rrepo
from lapor_shared import reporter_proof, statuses, tracking
from lapor_shared.localtime import tanggal, zone_of
from lapor_shared.statuses import ComplaintStatus as S

InvalidTrackingNumber = tracking.InvalidTrackingNumber


class NotTheReporter(Exception):
    """No complaint has this number, or the proof is not its reporter's: the same answer for both."""


@dataclass(frozen=True, slots=True)
class Reporter:
    """Whoever proved to be the reporter of this complaint."""

    complaint_id: UUID
    tracking_number: str


def read_number(typed: str) -> str:
    """The canonical tracking number of what was typed, or ``InvalidTrackingNumber`` (before any look-up:
    what cannot be a number tells nothing about any complaint)."""
    return tracking.normalise(typed)


async def by_key(pool: asyncpg.Pool, number: str, typed_key: str | None) -> Reporter:
    """The reporter of ``number`` (canonical) if ``typed_key`` is its key; ``NotTheReporter`` otherwise."""
    row = await rrepo.proof_of(pool, number)
    if not reporter_proof.proves(row["key_verifier"] if row else None, typed_key):
        raise NotTheReporter()
    assert row is not None
    return Reporter(row["complaint_id"], row["tracking_number"])


async def by_phone(pool: asyncpg.Pool, number: str, sender_e164: str, hash_key: str) -> Reporter:
    """The reporter of ``number`` (canonical) if the text came from the reporter's phone."""
    row = await rrepo.proof_of(pool, number)
    sender = reporter_proof.phone_hash(hash_key, sender_e164)
    if not reporter_proof.same_phone(row["phone_hash"] if row else None, sender):
        raise NotTheReporter()
    assert row is not None
    return Reporter(row["complaint_id"], row["tracking_number"])


# --- the reporter's view -------------------------------------------------------------------------------

_CLOSED = {
    "resolved": ("Laporan selesai ditindaklanjuti.", "The complaint was resolved."),
    "auto_close": ("Laporan ditutup otomatis karena tidak ada tanggapan Anda.",
                   "The complaint was closed automatically: you did not reply."),
    "admin": ("Laporan ditutup oleh admin.", "An administrator closed the complaint."),
    "archived": ("Laporan diarsipkan.", "The complaint was archived."),
}


def step_text(kind: str, facts: dict[str, Any], zone_code: str | None) -> tuple[str, str]:
    """The sentence a reporter reads for one step, in Bahasa Indonesia and English."""
    agency = facts.get("agency_name") or "Instansi"
    source, target = facts.get("from_agency_name"), facts.get("to_agency_name")
    due_id, due_en = tanggal(facts.get("due_at"), zone_of(facts.get("zone_code") or zone_code))
    days = facts.get("working_days")
    texts: dict[str, tuple[str, str]] = {
        "accepted": ("Laporan Anda diterima.", "Your complaint was received."),
        "needs_triage": ("Laporan Anda sedang diverifikasi tim LAPOR! untuk menentukan instansi yang berwenang.",
                         "LAPOR! is verifying your complaint to find the responsible agency."),
        "routed": (f"Laporan Anda diteruskan ke {agency}.", f"Your complaint was sent to {agency}."),
        "forwarded": (f"Laporan Anda dilimpahkan dari {source} ke {target}.",
                      f"Your complaint was passed from {source} to {target}."),
        "held": ("Laporan Anda ditunda sementara.", "Your complaint is on hold."),
        "archived": _CLOSED["archived"],
        "acknowledged": (f"{agency} telah menerima laporan Anda dan sedang memprosesnya.",
                         f"{agency} acknowledged your complaint and is working on it."),
        "responded": (f"{agency} memberikan tindak lanjut:", f"{agency} followed up:"),
        "reporter_replied": ("Anda menanggapi tindak lanjut:", "You replied to the follow-up:"),
        "deadline_extended": (f"{agency} memperpanjang waktu tindak lanjut {days} hari kerja; batas baru {due_id}.",
                              f"{agency} extended the follow-up by {days} working days; new deadline {due_en}."),
        "escalated": (f"Tenggat terlewati: laporan diawasi juga oleh {target}; {source} tetap wajib menanggapi.",
                      f"Deadline missed: {target} now oversees the complaint; {source} must still answer."),
        "rated": (f"Anda menilai penanganan laporan: {facts.get('rating')} dari 5.",
                  f"You rated the handling: {facts.get('rating')} out of 5."),
    }
    if kind == "deadline_set":
        return {
            "follow_up": (f"{agency} wajib menindaklanjuti paling lambat {due_id} ({days} hari kerja).",
                          f"{agency} must follow up by {due_en} ({days} working days)."),
            "auto_close": (f"Jika Anda tidak menanggapi sampai {due_id}, laporan ditutup otomatis.",
                           f"If you do not reply by {due_en}, the complaint will be closed automatically."),
        }.get(facts.get("stage") or "", (f"Tenggat berikutnya: {due_id}.", f"Next deadline: {due_en}."))
    if kind == "closed":
        closed_id, closed_en = _CLOSED.get(facts.get("reason") or "", _CLOSED["resolved"])
        if facts.get("reopen_until"):
            until_id, until_en = tanggal(facts["reopen_until"], zone_of(zone_code))
            return (f"{closed_id} Anda dapat membukanya kembali sampai {until_id}.",
                    f"{closed_en} You may reopen it until {until_en}.")
        return closed_id, closed_en
    if kind == "reopened":
        if facts.get("by") == "reporter":
            return "Anda membuka kembali laporan:", "You reopened the complaint:"
        return "Laporan dibuka kembali oleh admin.", "An administrator reopened the complaint."
    return texts.get(kind, (kind, kind))


def _step(row: asyncpg.Record, zone_code: str | None) -> dict[str, Any]:
    facts = dict(row["facts"] or {})
    text_id, text_en = step_text(row["kind"], facts, zone_code)
    at_id, at_en = tanggal(row["occurred_at"], zone_of(zone_code))
    step: dict[str, Any] = {
        "at": row["occurred_at"].astimezone(zone_of(zone_code)).isoformat(), "at_text": {"id": at_id, "en": at_en},
        "kind": row["kind"], "text": {"id": text_id, "en": text_en},
    }
    if row["kind"] in ("responded", "reporter_replied"):
        step["message"] = facts.get("text")
        step["attachments"] = [a for a in facts.get("attachments", []) if str(a.get("url", "")).startswith("https://")]
    elif row["kind"] == "reopened" and facts.get("reason"):
        step["message"] = facts["reason"]
    elif row["kind"] == "rated":
        step["rating"], step["message"] = facts.get("rating"), facts.get("comment")
    if facts.get("evidence"):
        step["evidence"] = facts["evidence"]  # references: the page signs links for the reporter
    return step


def open_actions(case: asyncpg.Record | dict[str, Any], now: datetime) -> dict[str, Any]:
    """What the reporter may do now, as followup's state machine allows it (followup decides in the end)."""
    closed = case["status"] == S.CLOSED.value
    reopen_until = case["reopen_until"]
    until_id, until_en = tanggal(reopen_until, zone_of(case["zone_code"]))
    return {
        "reply": case["status"] == S.RESPONDED.value,
        "rate": closed and not case["rated"],
        "reopen": closed and case["close_reason"] in ("resolved", "auto_close")
        and reopen_until is not None and now <= reopen_until,
        "reopen_until": reopen_until.isoformat() if reopen_until else None,
        "reopen_until_text": {"id": until_id, "en": until_en} if reopen_until else None,
    }


async def view(pool: asyncpg.Pool, reporter: Reporter, now: datetime) -> dict[str, Any]:
    """The reporter's view: status, the current deadline in the agency's local time, the timeline and the
    actions open now."""
    async with pool.acquire() as conn:
        row = await rrepo.case_of(conn, reporter.complaint_id)
        steps = await rrepo.steps_of(conn, reporter.complaint_id)
    case: asyncpg.Record | dict[str, Any] = row if row is not None else {
        "status": S.SUBMITTED.value, "title": None, "agency_name": None, "zone_code": None, "confidential": True,
        "anonymous": True, "stage": None, "due_at": None, "rated": False, "close_reason": None, "reopen_until": None,
    }
    zone_code = case["zone_code"]
    label_id, label_en = statuses.label(case["status"])
    deadline = None
    if case["due_at"] is not None and case["stage"] in ("follow_up", "auto_close", "verification"):
        due_id, due_en = tanggal(case["due_at"], zone_of(zone_code))
        deadline = {"stage": case["stage"], "due_at": case["due_at"].astimezone(zone_of(zone_code)).isoformat(),
                    "due_text": {"id": due_id, "en": due_en}}
    return {
        "tracking_number": reporter.tracking_number,
        "status": case["status"],
        "status_label": {"id": label_id, "en": label_en},
        "title": case["title"],
        "confidential": bool(case["confidential"]),
        "anonymous": bool(case["anonymous"]),
        "agency": case["agency_name"],
        "deadline": deadline,
        "timeline": [_step(row, zone_code) for row in steps],
        "actions": open_actions(case, now),
    }
