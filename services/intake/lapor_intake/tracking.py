"""Allocating tracking numbers: a number from a database sequence, scrambled so that consecutive
complaints do not get look-alike numbers, written in the platform's format (``lapor_shared.tracking``:
``LPR-7K3Q-9XW2A``, Crockford base32 with a check symbol, read back forgivingly by ``normalise``).
"""

from __future__ import annotations

from lapor_shared.tracking import (
    ALPHABET,
    CHECK_ALPHABET,
    PREFIX,
    SPACE,
    InvalidTrackingNumber,
    format_value,
    normalise,
)

__all__ = ["ALPHABET", "CHECK_ALPHABET", "PREFIX", "InvalidTrackingNumber", "encode", "normalise"]

_MULT = 0x5DEECE66D % SPACE | 1  # odd, so multiplication is a bijection modulo 2^40
_XOR = 0x3A5C96F0E1 % SPACE


def _scramble(n: int) -> int:
    return ((n * _MULT) % SPACE) ^ _XOR


def encode(sequence_value: int) -> str:
    """The tracking number of the ``sequence_value``-th complaint (1-based, < 2^40)."""
    if not 0 < sequence_value < SPACE:
        raise ValueError("sequence value out of range")
    return format_value(_scramble(sequence_value))
