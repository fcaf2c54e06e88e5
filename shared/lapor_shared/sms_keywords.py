"""The keywords of the 1708 short code, in one list: notify's messages advertise them (its templates
read ``KEYWORDS``), the gateway's SMS webhook understands them (``parse``), and a test fails when a
template advertises a word the parser does not handle.

| text | what it does |
|---|---|
| ``BALAS <nomor> <isi balasan>`` | reply to the agency's follow-up |
| ``BUKA <nomor> <alasan>`` | reopen a closed complaint (within the window) |
| ``NILAI <nomor> <1-5> [komentar]`` | rate the handling of a closed complaint |
| ``CEK <nomor>`` (or ``STATUS <nomor>``) | ask for the status |

Case-insensitive, tolerant of extra spaces and of a tracking number typed without its dashes (or with
spaces inside it). A text whose first word is a keyword is a command, however malformed, and never a
new complaint; a text that names a tracking number after a word that is not a keyword is an unknown
command. Both get a short help reply (``help_text``) instead.

Reference data and reading only: which command a text may cause is the gateway's decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from lapor_shared import tracking

Action = Literal["reply", "reopen", "rate", "status"]


@dataclass(frozen=True, slots=True)
class Keyword:
    word: str
    """What a reporter types (upper case here; any case is read)."""
    action: Action
    usage_id: str
    usage_en: str
    aliases: tuple[str, ...] = ()

    @property
    def words(self) -> tuple[str, ...]:
        return (self.word, *self.aliases)


REPLY = Keyword("BALAS", "reply", "BALAS <nomor> <isi balasan>", "BALAS <number> <your reply>")
REOPEN = Keyword("BUKA", "reopen", "BUKA <nomor> <alasan>", "BUKA <number> <reason>")
RATE = Keyword("NILAI", "rate", "NILAI <nomor> <1-5> [komentar]", "NILAI <number> <1-5> [comment]")
STATUS = Keyword("CEK", "status", "CEK <nomor>", "CEK <number>", aliases=("STATUS",))
KEYWORDS: tuple[Keyword, ...] = (REPLY, REOPEN, RATE, STATUS)
BY_ACTION: dict[str, Keyword] = {k.action: k for k in KEYWORDS}
"""``reply`` → BALAS …: what notify's templates write (``{{ kw.reply }}``)."""
_BY_WORD: dict[str, Keyword] = {word: k for k in KEYWORDS for word in k.words}

Problem = Literal["tracking_number", "text", "rating"]


@dataclass(frozen=True, slots=True)
class SmsCommand:
    """A keyword text as read: the keyword, the tracking number (canonical), what follows it, and what is
    missing or wrong (``problem``), if anything."""

    keyword: Keyword
    tracking_number: str | None
    text: str = ""
    rating: int | None = None
    problem: Problem | None = None


@dataclass(frozen=True, slots=True)
class UnknownCommand:
    """A word that is no keyword, followed by a tracking number (``BATAL LPR-…``)."""

    word: str


_TOKEN = re.compile(r"\S+")
_MAX_NUMBER_TOKENS = 5
"""``LPR 7K3Q 9XW2 HM4T A``: a number typed with spaces spans at most five tokens."""


def _word(token: str) -> str:
    return token.upper().rstrip(".,:;!")


def _number_at(text: str, tokens: list[re.Match[str]], start: int) -> tuple[str, int] | None:
    """The tracking number that begins at ``tokens[start]`` (the fewest tokens that make one) and the
    index of the first token after it."""
    for end in range(start + 1, min(start + _MAX_NUMBER_TOKENS, len(tokens)) + 1):
        typed = "".join(t.group() for t in tokens[start:end])
        try:
            return tracking.normalise(typed), end
        except tracking.InvalidTrackingNumber:
            continue
    return None


def parse(text: str) -> SmsCommand | UnknownCommand | None:
    """What a text asks, or None when it is no command (then it is a complaint)."""
    tokens = list(_TOKEN.finditer(text))
    if not tokens:
        return None
    keyword = _BY_WORD.get(_word(tokens[0].group()))
    if keyword is None:
        if len(tokens) > 1 and _looks_like_a_number(tokens[1].group()) and _number_at(text, tokens, 1):
            return UnknownCommand(_word(tokens[0].group())[:20])
        return None
    found = _number_at(text, tokens, 1) if len(tokens) > 1 else None
    if found is None:
        return SmsCommand(keyword, None, problem="tracking_number")
    number, after = found
    rest = text[tokens[after - 1].end():].strip()
    if keyword is RATE:
        return _rating(number, rest)
    if keyword in (REPLY, REOPEN) and not rest:
        return SmsCommand(keyword, number, problem="text")
    return SmsCommand(keyword, number, text=rest)


def _looks_like_a_number(token: str) -> bool:
    return token.upper().startswith("LPR")


def _rating(number: str, rest: str) -> SmsCommand:
    first, _, comment = rest.partition(" ")
    score = first.rstrip(".,:;!")
    score = score[:-2] if score.endswith("/5") else score  # "4/5"
    if score.isdigit() and 1 <= int(score) <= 5:
        return SmsCommand(RATE, number, text=comment.strip(), rating=int(score))
    return SmsCommand(RATE, number, text=rest, problem="rating")


def help_text(short_code: str = "1708") -> tuple[str, str]:
    """The usage of every keyword, Bahasa Indonesia and English, for the help reply."""
    return (
        f"Kirim ke {short_code}: " + "; ".join(k.usage_id for k in KEYWORDS) + ".",
        "; ".join(k.usage_en for k in KEYWORDS) + ".",
    )
