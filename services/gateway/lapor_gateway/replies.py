"""SMS replies (1708): short, Bahasa Indonesia first, English second."""

from __future__ import annotations

from typing import Any

MAX_REPLY = 306
"""Two concatenated SMS segments: longer replies are cut."""


def _fit(text: str) -> str:
    return text if len(text) <= MAX_REPLY else text[: MAX_REPLY - 1] + "…"


def accepted(tracking_number: str, short_code: str = "1708") -> str:
    return _fit(
        f"LAPOR! Laporan Anda diterima. Nomor pelacakan: {tracking_number}. Cek status: kirim CEK {tracking_number}"
        f" ke {short_code}. / Report received, tracking number {tracking_number}."
    )


def rejected(reasons: list[dict[str, Any]]) -> str:
    first = reasons[0] if reasons else {"message_id": "Laporan tidak valid.", "message_en": "Invalid report."}
    return _fit(
        f"LAPOR! Laporan Anda belum dapat diterima: {first['message_id']} Silakan kirim ulang."
        f" / Not accepted: {first['message_en']}"
    )


def for_outcome(outcome: str, tracking_number: str | None, reasons: list[dict[str, Any]] | None,
                short_code: str = "1708") -> tuple[str, str]:
    """(kind, text) of the reply to a submission's outcome."""
    if outcome == "accepted" and tracking_number:
        return "accepted", accepted(tracking_number, short_code)
    return "rejected", rejected(reasons or [])


def status(tracking_number: str, label_id: str, label_en: str) -> str:
    return _fit(f"LAPOR! {tracking_number}: {label_id}. / {label_en}.")


def unknown_tracking_number(text: str) -> str:
    return _fit(f"LAPOR! Nomor pelacakan {text} tidak ditemukan. / Tracking number {text} not found.")


def invalid_tracking_number() -> str:
    return _fit(
        "LAPOR! Nomor pelacakan tidak valid, periksa kembali (contoh: CEK LPR-7K3Q-9XW2-HM4TA)."
        " / Invalid tracking number, please check it."
    )
