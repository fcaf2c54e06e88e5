"""The tracking number's format: how a number is written and how what a person typed is read back.

``LPR-7K3Q-9XW2-HM43A``: twelve symbols of Crockford's base32 (no I, L, O, U: nothing to confuse with 1
or 0) carrying a 60-bit value drawn from a cryptographic random source, followed by Crockford's mod-37
check symbol. A single mistyped symbol or two swapped neighbours is caught (37 is prime and divides
neither 32^k nor 31·32^k); readers may type it in lower case, with or without dashes, and with O for 0
or I/L for 1.

Numbers issued before the 60-bit format (``LPR-7K3Q-9XW2A``: eight symbols, a 40-bit scrambled
sequence) stay valid: ``normalise`` reads both lengths and keeps each in its own canonical form.

Reference data, not a rule: intake draws the values (``lapor_intake.tracking``); every service that
reads a typed number (the gateway's status pages, Open311, SMS ``CEK``) reads it with ``normalise``.
"""

from __future__ import annotations

import secrets

from lapor_shared.events.values import Reason

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"
BITS = 60
BODY_LEN = BITS // 5
SPACE = 32**BODY_LEN
"""2^60 values."""
LEGACY_BODY_LEN = 8
"""The 40-bit numbers issued before the random format; still read, never issued."""
PREFIX = "LPR"
EXAMPLE = "LPR-7K3Q-9XW2-HM43A"


class InvalidTrackingNumber(ValueError):
    """What a person typed is not a tracking number; ``reason`` says why, in both languages."""

    def __init__(self, message_id: str, message_en: str) -> None:
        super().__init__(message_id)
        self.reason = Reason(
            code="invalid_tracking_number", field="tracking_number", message_id=message_id, message_en=message_en
        )


def _check_symbol(value: int) -> str:
    return CHECK_ALPHABET[value % 37]


def _grouped(body: str) -> str:
    """Groups of four, the last group holding the rest (``7K3Q-9XW2-HM4T`` or legacy ``7K3Q-9XW2``)."""
    return "-".join(body[i : i + 4] for i in range(0, len(body), 4))


def format_value(value: int, *, symbols: int = BODY_LEN) -> str:
    """The tracking number that carries ``value`` (0 ≤ value < 32^symbols), with its check symbol."""
    if symbols not in (BODY_LEN, LEGACY_BODY_LEN) or not 0 <= value < 32**symbols:
        raise ValueError("value out of range")
    digits = []
    rest = value
    for _ in range(symbols):
        rest, r = divmod(rest, 32)
        digits.append(ALPHABET[r])
    return f"{PREFIX}-{_grouped(''.join(reversed(digits)))}{_check_symbol(value)}"


ISSUED_CHECKS = frozenset(ALPHABET + "U")
"""Check symbols a number is issued with: letters and digits only. Crockford's ``*~$=`` would put a
symbol in a URL, an SMS (``~`` is outside GSM 03.38's basic set) and a spoken number that people get
wrong; a draw ending in one is drawn again (33 of 37 values stay: 2^59.8 numbers). ``normalise`` still
reads all 37, so a number written with one before stays valid."""


def random_number() -> str:
    """A fresh tracking number: 60 bits from ``secrets`` (not guessable from any other number), its check
    symbol a letter or a digit."""
    while True:
        value = secrets.randbits(BITS)
        if _check_symbol(value) in ISSUED_CHECKS:
            return format_value(value)


_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalise(text: str) -> str:
    """Canonical form of what a person typed, or InvalidTrackingNumber with the reason."""
    cleaned = "".join(ch for ch in text[:64].upper() if ch.isalnum() or ch in "*~$=")
    if cleaned.startswith(PREFIX):
        cleaned = cleaned[len(PREFIX) :]
    if len(cleaned) not in (BODY_LEN + 1, LEGACY_BODY_LEN + 1):
        raise InvalidTrackingNumber(
            f"Nomor pelacakan harus 13 karakter setelah LPR (contoh: {EXAMPLE}).",
            f"A tracking number has 13 symbols after LPR (for example {EXAMPLE}).",
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
    return f"{PREFIX}-{_grouped(body)}{check}"
