"""Active content in a PDF: what a viewer would run or open by itself. Such a PDF is refused, not
flattened: the reporter can send a plain PDF or a photo of the page.

The check reads names (``/JavaScript``, also written ``/J#61vaScript``) in the file and in every
Flate-compressed stream (object streams hide dictionaries there), inflating at most
``_INFLATE_BUDGET`` bytes in all; an encrypted PDF cannot be read through and is refused too.
"""

from __future__ import annotations

import re
import zlib

_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]{1,64})")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"stream\r?\n")
_INFLATE_BUDGET = 64 * 1024 * 1024

ACTIVE = {
    b"JavaScript": "JavaScript", b"JS": "JavaScript", b"OpenAction": "OpenAction", b"AA": "AA (aksi otomatis)",
    b"Launch": "Launch", b"EmbeddedFile": "EmbeddedFile", b"EmbeddedFiles": "EmbeddedFile",
    b"RichMedia": "RichMedia", b"XFA": "XFA", b"SubmitForm": "SubmitForm", b"ImportData": "ImportData",
    b"Encrypt": "Encrypt",
}
"""Names that make a PDF active, or unreadable by this check (``Encrypt``), and how the reason names them."""


class PdfUnreadable(Exception):
    """The streams inflate past the budget (a compression bomb)."""


def _names(data: bytes) -> set[bytes]:
    return {_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw) for raw in _NAME.findall(data)}


def _inflated(data: bytes) -> list[bytes]:
    out, budget = [], _INFLATE_BUDGET
    for match in _STREAM.finditer(data):
        start = match.end()
        end = data.find(b"endstream", start)
        if end < 0:
            end = len(data)
        inflater = zlib.decompressobj()
        try:
            chunk = inflater.decompress(data[start:end], budget + 1)
        except zlib.error:
            continue  # not Flate (an image, or another filter): no dictionaries inside
        budget -= len(chunk)
        if budget < 0:
            raise PdfUnreadable("streams inflate past the budget")
        out.append(chunk)
    return out


def active_content(data: bytes) -> str | None:
    """What makes this PDF active (a name for the reason), or None when it is a plain document."""
    for part in (data, *_inflated(data)):
        found = _names(part) & ACTIVE.keys()
        if found:
            return ACTIVE[sorted(found)[0]]
    return None
