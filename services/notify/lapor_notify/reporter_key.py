"""The reporter's key in the reporter's first message (``complaint_accepted.reporter``).

Messages are rendered when the event arrives, before the contact (and with it the encrypted key) may
have: the template writes ``SLOT`` where the key goes, and the stored message keeps the slot, never
the key. At send time the e-mail or SMS to the reporter gets the key in the slot (``fill``); the
inbox, which the tracking number alone opens, never does: the lines (or, in a one-line SMS text, the
sentence) holding the slot are left out (``without``), as they are when no key came with the contact.
"""

from __future__ import annotations

import re

SLOT = "<KUNCI-PELAPOR-0000>"
"""As long as a key (19 characters, GSM-7), so that an SMS is measured with the key's length."""

_SENTENCE = re.compile(r"\s*[^.!?\s][^.!?\n]*" + re.escape(SLOT) + r"[^.!?\n]*[.!?]?")


def fill(text: str, key: str) -> str:
    return text.replace(SLOT, key)


def without(text: str) -> str:
    """``text`` minus every line that holds the slot; within a line of its own (an SMS), the sentence."""
    if SLOT not in text:
        return text
    lines = text.split("\n")
    if len(lines) == 1:
        return _SENTENCE.sub("", text).strip()
    return "\n".join(line for line in lines if SLOT not in line)
