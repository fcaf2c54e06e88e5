"""The tracking number's format: how a number is written and how what a person typed is read back.

``LPR-7K3Q-9XW2A``: eight symbols of Crockford's base32 (no I, L, O, U: nothing to confuse with 1 or
0) carrying a 40-bit value, followed by Crockford's mod-37 check symbol. A single mistyped symbol or
two swapped neighbours is caught; readers may type it in lower case, with or without dashes, and with
O for 0 or I/L for 1.

Reference data, not a rule: intake allocates the values (``lapor_intake.tracking``); every service
that reads a typed number (the gateway's status pages, Open311, SMS ``CEK``) reads it with
``normalise``.
"""

from __future__ import annotations

from lapor_shared.events.values import Reason

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"
BODY_LEN = 8
SPACE = 32**BODY_LEN
"""2^40 values."""
PREFIX = "LPR"


class InvalidTrackingNumber(ValueError):
    """What a person typed is not a tracking number; ``reason`` says why, in both languages."""

    def __init__(self, message_id: str, message_en: str) -> None:
        super().__init__(message_id)
        self.reason = Reason(
            code="invalid_tracking_number", field="tracking_number", message_id=message_id, message_en=message_en
        )


def _check_symbol(value: int) -> str:
    return CHECK_ALPHABET[value % 37]


def format_value(value: int) -> str:
    """The tracking number that carries ``value`` (0 ≤ value < 2^40), with its check symbol."""
    if not 0 <= value < SPACE:
        raise ValueError("value out of range")
    digits = []
    rest = value
    for _ in range(BODY_LEN):
        rest, r = divmod(rest, 32)
        digits.append(ALPHABET[r])
    body = "".join(reversed(digits))
    return f"{PREFIX}-{body[:4]}-{body[4:]}{_check_symbol(value)}"


_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalise(text: str) -> str:
    """Canonical form of what a person typed, or InvalidTrackingNumber with the reason."""
    cleaned = "".join(ch for ch in text[:64].upper() if ch.isalnum() or ch in "*~$=")
    if cleaned.startswith(PREFIX):
        cleaned = cleaned[len(PREFIX) :]
    if len(cleaned) != BODY_LEN + 1:
        raise InvalidTrackingNumber(
            "Nomor pelacakan harus 9 karakter setelah LPR (contoh: LPR-7K3Q-9XW2A).",
            "A tracking number has 9 symbols after LPR (for example LPR-7K3Q-9XW2A).",
        )
    body, check = cleaned[:-1].translate(_TYPO), cleaned[-1]
    if check not in CHECK_ALPHABET:
        check = check.translate(_TYPO)
    if any(ch not in ALPHABET for ch in body):
        raise InvalidTrackingNumber(
            "Nomor pelacakan berisi karakter yang tidak dikenal.", "The tracking number contains an unknown symbol."
        )
    value = 0
    for ch in body:
        value = value * 32 + ALPHABET.index(ch)
    if _check_symbol(value) != check:
        raise InvalidTrackingNumber(
            "Nomor pelacakan salah ketik (karakter pemeriksa tidak cocok); periksa kembali.",
            "The tracking number has a typo (its check symbol does not match); please check it.",
        )
    return f"{PREFIX}-{body[:4]}-{body[4:]}{check}"
