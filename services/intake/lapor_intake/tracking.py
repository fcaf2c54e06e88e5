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

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import TypeVar

from lapor_shared.tracking import ALPHABET, CHECK_ALPHABET, PREFIX, InvalidTrackingNumber, normalise, random_number

__all__ = ["ALPHABET", "CHECK_ALPHABET", "PREFIX", "InvalidTrackingNumber", "insert_numbered", "normalise"]

_DRAWS = 8

K = TypeVar("K", bound=Hashable)


async def insert_numbered(
    keys: Sequence[K],
    insert: Callable[[list[K], list[str]], Awaitable[set[K]]],
    already_made: Callable[[list[K]], Awaitable[set[K]]],
) -> dict[K, str]:
    """Insert complaints (``keys``) under fresh numbers, drawn in the order of ``keys``: ``insert(keys,
    numbers)`` answers the keys it stored (any UNIQUE conflict skips one), ``already_made(skipped)`` those
    whose channel message already made a complaint; the others skipped are drawn again. The number of each
    one stored; one missing already made its complaint."""
    numbered: dict[K, str] = {}
    left = list(keys)
    for _ in range(_DRAWS):
        if not left:
            return numbered
        numbers = [random_number() for _ in left]
        stored = await insert(left, numbers)
        numbered.update((key, number) for key, number in zip(left, numbers, strict=True) if key in stored)
        skipped = [key for key in left if key not in stored]
        made = await already_made(skipped) if skipped else set()
        left = [key for key in skipped if key not in made]
    if left:
        raise RuntimeError("eight random tracking numbers in a row were taken: the random source is broken")
    return numbered
