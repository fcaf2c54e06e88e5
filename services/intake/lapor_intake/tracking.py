"""Issuing tracking numbers: 60 random bits from ``secrets``, written in the platform's format
(``lapor_shared.tracking``: ``LPR-7K3Q-9XW2-HM43A``, Crockford base32 with a check symbol, read back
forgivingly by ``normalise``).

A number says nothing about any other complaint: knowing one number (or a thousand) does not help to
guess another, so the open look-ups cannot be walked. A draw that collides with an issued number (one in
2^60 per complaint already issued) is drawn again; the ``UNIQUE`` constraint on ``complaints`` is the
backstop for two concurrent identical draws, which fails the transaction and is retried as a whole.
"""

from __future__ import annotations

from lapor_shared.db import Conn
from lapor_shared.tracking import ALPHABET, CHECK_ALPHABET, PREFIX, InvalidTrackingNumber, normalise, random_number

__all__ = ["ALPHABET", "CHECK_ALPHABET", "PREFIX", "InvalidTrackingNumber", "issue", "normalise"]

_DRAWS = 8


async def issue(conn: Conn) -> str:
    """A tracking number no complaint has yet."""
    for _ in range(_DRAWS):
        number = random_number()
        if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM complaints WHERE tracking_number = $1)", number):
            return number
    raise RuntimeError("eight random tracking numbers in a row were taken: the random source is broken")
