"""Building ``complaint.submitted`` payloads from what a channel received, and the adapters' answers.

Adapters check only what they must to build a well-formed payload (types, dates, their own fields);
whether a submission is acceptable is intake's decision, which comes back on the results topic.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

import phonenumbers
from pydantic import ValidationError

from lapor_shared.events.intake import ComplaintSubmitted

OutcomeStatus = Literal["pending", "accepted", "rejected"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one channel message, as far as the adapter knows."""

    status: OutcomeStatus
    channel: str
    channel_message_id: str
    poll_token: str
    tracking_number: str | None = None
    complaint_id: UUID | None = None
    reasons: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: Any) -> Outcome:
        return cls(
            status=row["outcome"], channel=row["channel"], channel_message_id=row["channel_message_id"],
            poll_token=row["poll_token"], tracking_number=row["tracking_number"], complaint_id=row["complaint_id"],
            reasons=list(row["reasons"] or []),
        )


class SubmissionProblem(ValueError):
    """The request cannot even become a submission; ``reasons`` say why (ID and EN)."""

    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(r["message_en"] for r in reasons))
        self.reasons = reasons


def reason(code: str, field: str | None, message_id: str, message_en: str) -> dict[str, Any]:
    """A reason in the same shape as intake's (``lapor_shared.events.values.Reason``)."""
    return {"code": code, "field": field, "message_id": message_id, "message_en": message_en}


def reasons_of(exc: ValidationError) -> list[dict[str, Any]]:
    """pydantic's complaints about a request, as reasons people can read."""
    reasons = []
    for err in exc.errors()[:20]:
        loc = ".".join(str(p) for p in err["loc"] if p != "payload") or None
        reasons.append(reason(
            "invalid_field", loc, f"Isian {loc or 'laporan'} tidak valid: {err['msg']}.",
            f"{loc or 'submission'} is invalid: {err['msg']}.",
        ))
    return reasons


def build_submission(data: dict[str, Any]) -> ComplaintSubmitted:
    """The payload, or SubmissionProblem with the reasons it cannot be built."""
    try:
        return ComplaintSubmitted.model_validate(data)
    except ValidationError as exc:
        raise SubmissionProblem(reasons_of(exc)) from None


def normalise_phone(raw: str | None) -> str | None:
    """An Indonesian number in E.164 (``+628…``) when it parses as one; otherwise as given, so that
    intake's validation explains what is wrong with it."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    candidates = [text]
    if not text.startswith("+") and digits.startswith("62"):
        candidates.insert(0, "+" + digits)  # gateways often send 628… without the plus
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, "ID")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return text


def title_from(text: str, *, words: int = 8, max_len: int = 80) -> str:
    """A title for channels that have none (SMS, Open311): the first words of the text."""
    parts = text.split()
    title = " ".join(parts[:words])
    if len(title) > max_len:
        title = title[: max_len - 1].rstrip()
    if len(parts) > words or len(title) < len(" ".join(parts)):
        title = title.rstrip(".,;:!?") + "…"
    return title


def fingerprint(submission: ComplaintSubmitted) -> str:
    """What identifies the content of a submission (not when it was sent), to detect a reused
    idempotency key carrying a different complaint."""
    content = submission.model_dump(mode="json", exclude={"submitted_at"})
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def parse_bool(value: Any) -> bool | None:
    """ya/tidak, true/false, 1/0, on/off, y/n; None when it is none of these."""
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in ("1", "true", "ya", "y", "yes", "on", "benar"):
        return True
    if text in ("", "0", "false", "tidak", "n", "no", "off", "salah"):
        return False
    return None
