"""Likely duplicates: the same reporter, near-identical text, a short interval. Flagged, never merged.

The earlier complaint is found among the reporter's own recent complaints only (by the keyed hash of
their phone number or e-mail address, within ``window_s``), so the look-up reads a handful of rows
through the ``reporter_activity`` primary key whatever the size of the history; the texts are then
compared with pg_trgm ``similarity`` on a normalised fingerprint (``admission.admissions`` reads it with
the other acceptance checks). The new complaint is still accepted, with ``possible_duplicate_of`` set to
the earlier one, and intake keeps the link.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

FINGERPRINT_MAX = 4000
_NOT_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class DuplicatePolicy:
    window_s: int = 24 * 3600
    similarity: float = 0.8


def fingerprint(title: str, description: str) -> str:
    """Title and description, case-folded, compatibility-normalised, punctuation and spacing collapsed."""
    text = unicodedata.normalize("NFKC", f"{title} {description}").casefold()
    return _NOT_WORD.sub(" ", text).strip()[:FINGERPRINT_MAX]
