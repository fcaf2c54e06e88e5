"""SMS length rules: GSM 03.38 (7-bit) or UCS-2, single or concatenated segments.

A single SMS holds 160 GSM-7 septets or 70 UCS-2 code units; a concatenated one loses room to the
UDH header: 153 septets or 67 code units per segment. Characters of the GSM-7 extension table (``€``,
``[``, ``{`` …) take two septets and are never split across segments; nor is a UTF-16 surrogate pair.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE = {"gsm7": 160, "ucs2": 70}
MULTI = {"gsm7": 153, "ucs2": 67}
ELLIPSIS = "..."  # GSM-7: "…" would force the whole text into UCS-2


@dataclass(frozen=True, slots=True)
class SmsLength:
    encoding: str  # "gsm7" or "ucs2"
    units: int  # septets (gsm7) or UTF-16 code units (ucs2)
    segments: int


def encoding_of(text: str) -> str:
    return "gsm7" if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text) else "ucs2"


def _unit_sizes(text: str, encoding: str) -> list[int]:
    if encoding == "gsm7":
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def measure(text: str) -> SmsLength:
    encoding = encoding_of(text)
    sizes = _unit_sizes(text, encoding)
    units = sum(sizes)
    if units <= SINGLE[encoding]:
        return SmsLength(encoding, units, 1 if units else 0)
    segments, used = 1, 0
    for size in sizes:  # greedy packing: a 2-unit character never straddles two segments
        if used + size > MULTI[encoding]:
            segments, used = segments + 1, 0
        used += size
    return SmsLength(encoding, units, segments)


def fit(text: str, *, max_segments: int, keep: str | None = None) -> str:
    """``text`` shortened (at a word boundary when possible, with ``...``) to at most ``max_segments``.

    ``keep`` (the tracking number) always survives: when the text lacks it or the cut would remove
    it, it is put in front.
    """
    text = " ".join(text.split())  # one line, single spaces: what a handset shows anyway
    if keep and keep not in text:
        text = f"{keep}: {text}"
    if measure(text).segments <= max_segments:
        return text
    cut = _longest_prefix(text, max_segments, "")
    if keep and keep not in cut:
        head = f"{keep}: "
        cut = head + _longest_prefix(text, max_segments, head)
    return cut


def _longest_prefix(text: str, max_segments: int, head: str) -> str:
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that, with the ellipsis, still fits
        mid = (lo + hi + 1) // 2
        if measure(head + text[:mid].rstrip() + ELLIPSIS).segments <= max_segments:
            lo = mid
        else:
            hi = mid - 1
    cut = text[:lo]
    space = cut.rfind(" ")
    if space >= lo * 0.6:  # prefer a word boundary unless it throws away too much
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS
