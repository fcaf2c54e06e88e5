"""Issuing tracking numbers: 60 random bits from ``secrets``, written in the platform's format
(``lapor_shared.tracking``: ``LPR-7K3Q-9XW2-HM43A``, Crockford base32 with a check symbol, read back
forgivingly by ``normalise``).

A number says nothing about any other complaint: knowing one number (or a thousand) does not help to
guess another, so the open look-ups cannot be walked. The complaint's insert is the check: it skips on
any ``UNIQUE`` conflict, and a skipped insert whose channel message made no complaint collided with an
issued number (one in 2^60 per complaint already issued) and is drawn again. No look-up before the
insert: one statement less for every complaint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from lapor_shared.tracking import ALPHABET, CHECK_ALPHABET, PREFIX, InvalidTrackingNumber, normalise, random_number

__all__ = ["ALPHABET", "CHECK_ALPHABET", "PREFIX", "InvalidTrackingNumber", "insert_numbered", "normalise"]

_DRAWS = 8


async def insert_numbered(
    insert: Callable[[str], Awaitable[bool]], already_made: Callable[[], Awaitable[bool]],
) -> str | None:
    """Insert a complaint under a fresh number (``insert(number)``: False when any UNIQUE conflict skipped
    it); the number, or None when its channel message already made a complaint (``already_made()``)."""
    for _ in range(_DRAWS):
        number = random_number()
        if await insert(number):
            return number
        if await already_made():
            return None
    raise RuntimeError("eight random tracking numbers in a row were taken: the random source is broken")
