"""SMS replies (1708): short, Bahasa Indonesia first, English second. The keywords they advertise come
from ``lapor_shared.sms_keywords``, the list the webhook's parser reads."""

from __future__ import annotations

from typing import Any

from lapor_shared.sms_keywords import STATUS, help_text

MAX_REPLY = 306
"""Two concatenated SMS segments: longer replies are cut."""


def _fit(text: str) -> str:
    return text if len(text) <= MAX_REPLY else text[: MAX_REPLY - 1] + "…"


def accepted(tracking_number: str, short_code: str = "1708", reporter_key: str | None = None) -> str:
    """The answer to a complaint filed by SMS; with the reporter's key when this reply is the one that shows it."""
    key = f" Kunci pelapor: {reporter_key} (rahasiakan)." if reporter_key else ""
    return _fit(
        f"LAPOR! Laporan Anda diterima. Nomor pelacakan: {tracking_number}.{key} Cek status: kirim"
        f" {STATUS.word} {tracking_number} ke {short_code}. / Report received, tracking number {tracking_number}."
    )


def rejected(reasons: list[dict[str, Any]]) -> str:
    first = reasons[0] if reasons else {"message_id": "Laporan tidak valid.", "message_en": "Invalid report."}
    return _fit(
        f"LAPOR! Laporan Anda belum dapat diterima: {first['message_id']} Silakan kirim ulang."
        f" / Not accepted: {first['message_en']}"
    )


def for_outcome(outcome: str, tracking_number: str | None, reasons: list[dict[str, Any]] | None,
                short_code: str = "1708", reporter_key: str | None = None) -> tuple[str, str]:
    """(kind, text) of the reply to a submission's outcome."""
    if outcome == "accepted" and tracking_number:
        return "accepted", accepted(tracking_number, short_code, reporter_key)
    return "rejected", rejected(reasons or [])


def status(tracking_number: str, label_id: str, label_en: str) -> str:
    return _fit(f"LAPOR! {tracking_number}: {label_id}. / {label_en}.")


def unknown_tracking_number(text: str) -> str:
    return _fit(f"LAPOR! Nomor pelacakan {text} tidak ditemukan. / Tracking number {text} not found.")


def not_yours(tracking_number: str) -> str:
    """A command for a complaint this phone did not file, or an unknown number: one answer for both."""
    return _fit(
        f"LAPOR! Nomor pelacakan {tracking_number} tidak ditemukan untuk nomor HP ini. Kirim dari nomor HP yang"
        f" Anda pakai saat melapor, atau gunakan kunci pelapor di halaman pelacakan."
        f" / {tracking_number} not found for this phone number."
    )


def invalid_tracking_number() -> str:
    return _fit(
        f"LAPOR! Nomor pelacakan tidak valid, periksa kembali (contoh: {STATUS.word} LPR-7K3Q-9XW2-HM43A)."
        " / Invalid tracking number, please check it."
    )


_PROBLEMS = {
    "tracking_number": ("Nomor pelacakan tidak terbaca.", "The tracking number could not be read."),
    "text": ("Tulis isi pesan setelah nomor pelacakan.", "Write your text after the tracking number."),
    "rating": ("Nilai harus angka 1 sampai 5.", "The rating must be a number from 1 to 5."),
    "unknown": ("Perintah tidak dikenal.", "Unknown command."),
}


def help_reply(problem: str, short_code: str = "1708") -> str:
    """What went wrong with a keyword text, and how to write one; a keyword text never becomes a complaint."""
    lead_id, lead_en = _PROBLEMS.get(problem, _PROBLEMS["unknown"])
    usage_id, _ = help_text(short_code)
    return _fit(f"LAPOR! {lead_id} {usage_id} Laporan baru: tulis tanpa kata perintah di depan. / {lead_en}")


_DONE = {
    "reporter.reply": ("balasan Anda diteruskan ke instansi.", "your reply was passed to the agency."),
    "reporter.rate": ("terima kasih atas penilaian Anda.", "thank you for your rating."),
    "reporter.reopen": ("laporan dibuka kembali.", "the complaint was reopened."),
}


def action_outcome(command_type: str, outcome: str, tracking_number: str, reason: dict[str, Any] | None,
                   short_code: str = "1708") -> str:
    """The answer to a BALAS / NILAI / BUKA text once followup carried it out or refused it."""
    if outcome == "accepted":
        done_id, done_en = _DONE.get(command_type, ("diterima.", "accepted."))
        return _fit(f"LAPOR! {tracking_number}: {done_id} / {done_en}")
    why = reason or {"message_id": "Permintaan ditolak.", "message_en": "Refused."}
    return _fit(f"LAPOR! {tracking_number}: {why['message_id']} / {why['message_en']}")

