"""Tracking numbers: short, unique, typable over the phone or by SMS, with a check character.

``LPR-7K3Q-9XW2`` style: eight symbols of Crockford's base32 (no I, L, O, U: nothing to confuse with
1 or 0) carrying a number from a database sequence, scrambled so consecutive complaints do not get
look-alike numbers, followed by Crockford's mod-37 check symbol. A single mistyped symbol or two
swapped neighbours is caught; readers may type it in lower case, with or without dashes, and with
O for 0 or I/L for 1.
"""

from __future__ import annotations

from lapor_shared.events.values import reason

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"
_BODY_LEN = 8
_SPACE = 32**_BODY_LEN  # 2^40 numbers
_MULT = 0x5DEECE66D % _SPACE | 1  # odd, so multiplication is a bijection modulo 2^40
_XOR = 0x3A5C96F0E1 % _SPACE
PREFIX = "LPR"


class InvalidTrackingNumber(ValueError):
    """What a person typed is not a tracking number; ``reason`` says why, in both languages."""

    def __init__(self, message_id: str, message_en: str) -> None:
        super().__init__(message_id)
        self.reason = reason("invalid_tracking_number", field="tracking_number", message_id=message_id,
                             message_en=message_en)


def _scramble(n: int) -> int:
    return ((n * _MULT) % _SPACE) ^ _XOR


def _check_symbol(value: int) -> str:
    return CHECK_ALPHABET[value % 37]


def encode(sequence_value: int) -> str:
    """The tracking number of the ``sequence_value``-th complaint (1-based, < 2^40)."""
    if not 0 < sequence_value < _SPACE:
        raise ValueError("sequence value out of range")
    value = _scramble(sequence_value)
    digits = []
    for _ in range(_BODY_LEN):
        value, r = divmod(value, 32)
        digits.append(ALPHABET[r])
    body = "".join(reversed(digits))
    check = _check_symbol(_scramble(sequence_value))
    return f"{PREFIX}-{body[:4]}-{body[4:]}{check}"


_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalise(text: str) -> str:
    """Canonical form of what a person typed, or InvalidTrackingNumber with the reason."""
    cleaned = "".join(ch for ch in text[:64].upper() if ch.isalnum() or ch in "*~$=")
    if cleaned.startswith(PREFIX):
        cleaned = cleaned[len(PREFIX) :]
    if len(cleaned) != _BODY_LEN + 1:
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
