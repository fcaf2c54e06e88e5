"""The read models as JSON-ready dicts (no SQL here; ``repository`` and ``read_queries`` read, this module shapes).

- ``reporter_view``: what anyone holding the tracking number sees: the status history in plain
  Bahasa Indonesia (English second), never an internal note, an officer's or admin's reference or the
  reporter's identity; for a confidential (rahasia) complaint no content at all, only the steps.
- ``worklist_item``: one line of an agency's work list (agency-facing: content allowed, identities not).
- ``statistics_view``: counts and measures of a jurisdiction subtree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lapor_followup.states import LABELS, OWED, Status
from lapor_followup.workcalendar import zone_of
from lapor_shared.localtime import tanggal
from lapor_shared.regions import all_regions

Row = dict[str, Any]


def _step_text(entry: Row, zone: ZoneInfo) -> tuple[str, str] | None:
    """The sentence a reporter reads for one history entry (None: not shown to the reporter)."""
    f = entry["facts"] or {}
    kind = entry["event_type"]
    agency = f.get("agency_name", "instansi")
    if kind == "complaint.needs_triage":
        return "Laporan Anda sedang diverifikasi oleh tim LAPOR!.", "Your complaint is being verified by LAPOR!."
    if kind == "complaint.routed":
        return f"Laporan Anda diteruskan ke {agency}.", f"Your complaint was sent to {agency}."
    if kind == "complaint.forwarded":
        src, dst = f.get("from_agency_name"), f.get("to_agency_name")
        return f"Laporan Anda dilimpahkan dari {src} ke {dst}.", f"Your complaint was passed from {src} to {dst}."
    if kind == "complaint.deadline_set":
        due_id, due_en = tanggal(f.get("due_at"), zone)
        n = f.get("working_days")
        if f.get("stage") == "follow_up":
            return (f"{agency} wajib menindaklanjuti paling lambat {due_id} ({n} hari kerja).",
                    f"{agency} must follow up by {due_en} ({n} working days).")
        if f.get("stage") == "auto_close":
            return (f"Jika Anda tidak menanggapi sampai {due_id}, laporan akan ditutup otomatis.",
                    f"If you do not reply by {due_en}, the complaint will be closed automatically.")
        if f.get("stage") == "verification":
            return f"Verifikasi selesai paling lambat {due_id}.", f"Verification is due by {due_en}."
        return None
    if kind == "complaint.acknowledged":
        return (f"Laporan Anda telah diterima oleh {agency} dan sedang diproses.",
                f"{agency} acknowledged your complaint and is working on it.")
    if kind == "complaint.responded":
        return f"{agency} memberikan tindak lanjut.", f"{agency} followed up."
    if kind == "complaint.reporter_replied":
        return "Anda menanggapi tindak lanjut; tanggapan Anda diteruskan ke instansi.", \
            "You replied to the follow-up; your reply was passed to the agency."
    if kind == "complaint.deadline_extended":
        due_id, due_en = tanggal(f.get("due_at"), zone)
        n = f.get("working_days")
        return (f"{agency} memperpanjang waktu tindak lanjut {n} hari kerja untuk pemeriksaan; batas baru {due_id}.",
                f"{agency} extended the follow-up time by {n} working days to investigate; new deadline {due_en}.")
    if kind == "complaint.deadline_breached" and f.get("stage") == "follow_up" and f.get("kind") == "deadline":
        return (f"Batas waktu tindak lanjut oleh {agency} terlewati.",
                f"{agency} missed the follow-up deadline.")
    if kind == "complaint.escalated":
        to = f.get("to_agency_name")
        return (f"Laporan Anda diteruskan ke {to} untuk pengawasan; {agency} tetap wajib menjawab.",
                f"Your complaint was escalated to {to} for oversight; {agency} still owes the answer.")
    if kind == "complaint.held":
        return "Laporan Anda ditunda sementara.", "Your complaint is on hold."
    if kind == "complaint.reopened":
        return "Laporan Anda dibuka kembali.", "Your complaint was reopened."
    if kind == "complaint.rated":
        r = f.get("rating")
        return f"Anda memberi penilaian {r} dari 5.", f"You rated the handling {r} out of 5."
    if kind == "complaint.closed":
        reason = f.get("reason")
        if reason == "resolved":
            return f"Laporan Anda dinyatakan selesai oleh {agency}.", f"{agency} marked your complaint resolved."
        if reason == "auto_close":
            n = f.get("working_days")
            return (f"Laporan ditutup otomatis karena tidak ada tanggapan dari Anda selama {n} hari kerja.",
                    f"Closed automatically: no reply from you within {n} working days.")
        if reason == "archived":
            return "Laporan Anda diarsipkan.", "Your complaint was archived."
        return "Laporan Anda ditutup oleh admin LAPOR!.", "A LAPOR! administrator closed your complaint."
    return None


def reporter_view(case: Row, history: list[Row]) -> dict[str, Any]:
    zone = zone_of(case["jurisdiction_code"])
    show_content = not case["confidential"]
    steps = []
    for entry in history:
        text = _step_text(entry, zone)
        if text is None:
            continue
        step: dict[str, Any] = {
            "at": entry["occurred_at"].astimezone(zone).isoformat(),
            "status": entry["status"],
            "keterangan": text[0],
            "description": text[1],
        }
        facts = entry["facts"] or {}
        if show_content and entry["event_type"] in ("complaint.responded", "complaint.reporter_replied"):
            step["text"] = facts.get("text")
            step["attachments"] = facts.get("attachments", [])
        steps.append(step)
    status = Status(case["status"])
    label_id, label_en = LABELS[status]
    deadline = None
    if case["stage"] in ("follow_up", "auto_close", "verification") and case["due_at"] is not None:
        due_id, due_en = tanggal(case["due_at"], zone)
        deadline = {"stage": case["stage"], "due_at": case["due_at"].astimezone(zone).isoformat(), "tenggat": due_id,
                    "due": due_en}
    return {
        "tracking_number": case["tracking_number"],
        "status": status.value,
        "status_label": label_id,
        "status_label_en": label_en,
        "agency": case["agency_name"],
        "confidential": case["confidential"],
        "deadline": deadline,
        "can_reopen_until": case["reopen_until"].astimezone(zone).isoformat() if case["reopen_until"] else None,
        "rating": case["rating"],
        "history": steps,
    }


def worklist_item(row: Row, notes: list[Row], now: datetime) -> dict[str, Any]:
    owed = row["status"] in {s.value for s in OWED}
    zone = zone_of(row["jurisdiction_code"])
    due = row["due_at"].astimezone(zone) if owed and row["due_at"] else None
    return {
        "complaint_id": str(row["complaint_id"]),
        "tracking_number": row["tracking_number"],
        "status": row["status"],
        "status_label": LABELS[Status(row["status"])][0],
        "role": row["role"],
        "responsible_agency_id": row["agency_id"],
        "title": row["title"],
        "category": row["category"],
        "report_type": row["report_type"],
        "confidential": row["confidential"],
        "anonymous": row["anonymous"],
        "stage": row["stage"],
        "due_at": due.isoformat() if due else None,
        "overdue": bool(due and due < now),
        "escalation_level": row["escalation_level"],
        "routed_at": row["routed_at"].astimezone(zone).isoformat(),
        "first_response_at": row["first_response_at"].isoformat() if row["first_response_at"] else None,
        "policy_version": row["policy_version"],
        "internal_notes": [
            {"at": n["created_at"].isoformat(), "agency_id": n["agency_id"], "note": n["note"]} for n in notes
        ],
    }


def statistics_view(code: str, stats: Row, children: list[Row], now: datetime) -> dict[str, Any]:
    answered = stats["answered"]
    median = stats["median_first_response_s"]
    return {
        "jurisdiction": code,
        "name": _name(code),
        "as_of": now.isoformat(),
        "total": stats["total"],
        "open": stats["open"],
        "by_status": {s.value: stats["by_status"].get(s.value, 0) for s in Status},
        "overdue": stats["overdue"],
        "escalated": stats["escalated"],
        "answered": answered,
        "answered_within_deadline": stats["answered_in_time"],
        "share_answered_within_deadline": round(stats["answered_in_time"] / answered, 4) if answered else None,
        "median_hours_to_first_response": round(median / 3600, 2) if median is not None else None,
        "satisfaction": {
            "rated": stats["rated"],
            "rating_sum": stats["rating_sum"],
            "average": round(stats["rating_sum"] / stats["rated"], 2) if stats["rated"] else None,
            "by_rating": {str(r): stats["by_rating"].get(r, 0) for r in range(1, 6)},
        },
        "children": [
            {"code": c["code"], "name": _name(c["code"]), "total": c["total"], "open": c["open"],
             "overdue": c["overdue"]}
            for c in children
        ],
    }


def _name(code: str) -> str:
    if code == "ID":
        return "Indonesia"
    region = all_regions().get(code)
    return region.name if region else code
