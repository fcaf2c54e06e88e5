"""How a reporter proves a complaint is theirs: the reporter's key (*kunci pelapor*) issued with the
tracking number, or, by SMS, the keyed hash of the number the text came from.

``7K3Q-9XW2-HM4T-A8RZ``: sixteen symbols of Crockford's base32 (no I, L, O, U) carrying 80 bits drawn
from ``secrets``, in groups of four so that it can be read over the phone and typed on a keypad. Read
back forgivingly: lower case, with or without dashes or spaces, O for 0 and I/L for 1.

Who holds what (docs/privacy.md, "The reporter's key"): intake draws the key at acceptance and keeps no
copy; the channel reads it once from ``submission.accepted`` on ``lapor.submissions.results`` and shows
it once; notify receives it only encrypted, with the reporter's contact on the restricted topic, for
the reporter's first message. A channel that checks proofs (the gateway) keeps only ``verifier(key)``.

Phone numbers are compared as intake compares them: HMAC-SHA256 under ``LAPOR_REPORTER_HASH_KEY`` of
``phone:<E.164>`` (``phone_hash``), so the gateway matches an SMS sender without ever storing a number.

Reference data and arithmetic only: which command a proof allows is the gateway's decision.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from lapor_shared.tracking import ALPHABET

BITS = 80
SYMBOLS = BITS // 5
GROUP = 4
EXAMPLE = "7K3Q-9XW2-HM4T-A8RZ"
DEV_REPORTER_HASH_KEY = "dev-reporter-hash-key-do-not-use-in-production"
"""The development value of ``LAPOR_REPORTER_HASH_KEY`` (intake and the gateway must share the key)."""

_VERIFIER_DOMAIN = b"lapor-reporter-key:v1:"
_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1"})
_NO_SUCH_KEY = hashlib.sha256(b"lapor-reporter-key:none").digest()
"""Compared against when a complaint is unknown, so that an unknown number costs what a wrong key costs."""


class InvalidKey(ValueError):
    """What a person typed cannot be a reporter's key (wrong length or symbols)."""


def issue() -> str:
    """A fresh key: 80 bits from ``secrets``, written ``XXXX-XXXX-XXXX-XXXX``."""
    value = secrets.randbits(BITS)
    symbols = []
    for _ in range(SYMBOLS):
        value, digit = divmod(value, 32)
        symbols.append(ALPHABET[digit])
    body = "".join(reversed(symbols))
    return "-".join(body[i : i + GROUP] for i in range(0, SYMBOLS, GROUP))


def normalise(typed: str) -> str:
    """The canonical form of a typed key, or ``InvalidKey``."""
    cleaned = "".join(ch for ch in typed[:64].upper() if not ch.isspace() and ch != "-").translate(_TYPO)
    if len(cleaned) != SYMBOLS or any(ch not in ALPHABET for ch in cleaned):
        raise InvalidKey("not a reporter key")
    return "-".join(cleaned[i : i + GROUP] for i in range(0, SYMBOLS, GROUP))


def verifier(key: str) -> bytes:
    """What a channel keeps instead of the key: SHA-256 of the canonical key under a fixed domain. Eighty
    random bits cannot be found again from it by trying."""
    return hashlib.sha256(_VERIFIER_DOMAIN + normalise(key).encode()).digest()


def proves(stored: bytes | None, typed: str | None) -> bool:
    """Whether ``typed`` is the key whose verifier is ``stored``, in constant time. An unknown complaint
    (``stored`` None) and an unreadable key still cost one hash and one comparison, so neither answers
    faster than a wrong key."""
    try:
        candidate = verifier(typed or "")
    except InvalidKey:
        candidate = hashlib.sha256(_VERIFIER_DOMAIN + b"-").digest()
    same = hmac.compare_digest(stored if stored is not None else _NO_SUCH_KEY, candidate)
    return same and stored is not None


def keyed_hash(key: str, kind: str, value: str) -> bytes:
    """HMAC-SHA256 under ``key`` of ``<kind>:<value>`` (intake's identity hashes: ``phone``, ``email``)."""
    if not key:
        raise ValueError("the reporter hash key must not be empty")
    return hmac.new(key.encode(), f"{kind}:{value}".encode(), hashlib.sha256).digest()


def phone_hash(key: str, e164: str) -> bytes:
    """The keyed hash of a phone number in E.164 (``+6281234567890``), as intake computes it."""
    return keyed_hash(key, "phone", e164)


def same_phone(stored: bytes | None, candidate: bytes | None) -> bool:
    """Constant-time equality of two phone hashes; False when either is missing."""
    same = hmac.compare_digest(stored or _NO_SUCH_KEY, candidate or b"")
    return same and stored is not None and candidate is not None
