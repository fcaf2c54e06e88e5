"""JSON from strangers: checked for size and depth before the parser sees it, and for what it holds after.

Python's ``json`` recurses once per nesting level (``[`` × 100,000 raises ``RecursionError``, not a
``JSONDecodeError``), turns a 5,000-digit integer into a ``ValueError``, and accepts ``NaN``,
``Infinity`` and duplicate keys. Every byte that reaches the platform from outside (a Kafka value, an
HTTP body) is read with ``loads`` here instead, which turns each of those into ``UnsafeJson`` with a
reason that can go back to the sender or into a dead letter:

- size: more than ``max_bytes`` is refused before anything else;
- encoding: bytes must be UTF-8;
- depth: brackets are counted outside string literals *before* parsing, so the parser never recurses
  on attacker data (more than ``max_depth`` levels is refused);
- numbers: integers longer than ``max_int_digits`` digits, ``NaN``, ``Infinity`` and floats that
  overflow to infinity are refused;
- objects: a key given twice is refused (two readers could otherwise see two different values);
- strings: C0/C1 control characters other than tab, line feed and carriage return (NUL cannot even be
  stored by PostgreSQL), lone UTF-16 surrogates (no valid text holds one) and the bidirectional
  override/isolate controls (which make a text display differently from what it says) are refused.

Most bytes read are our own events, written compactly; ``orjson`` reads those three times faster than the
standard parser with our hooks (issue 17). It may only ACCEPT: its value is taken when writing it back gives
the very bytes read (so no key was given twice, no integer was turned into a float, no number overflowed),
and everything else, every refusal included, goes to the checked parser, whose reason is the one given.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["Limits", "UnsafeJson", "loads", "refused_character"]


class UnsafeJson(ValueError):
    """Input that is not JSON we accept; ``reason`` says why in one line (English, for operators)."""

    def __init__(self, reason: str, *, code: str = "invalid_json") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 512 * 1024
    max_depth: int = 32
    max_int_digits: int = 40


DEFAULT_LIMITS = Limits()

_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_REFUSED_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_REFUSED = re.compile(f"[{_REFUSED_CHARS}]")
# a refused character may hide behind a \u escape; only then is the parsed value walked
_SUSPECT = re.compile(
    r"\\u(?:00[01][0-9a-fA-F]|007[fF]|00[89][0-9a-fA-F]|202[a-eA-E]|206[6-9]|[dD][89a-fA-F][0-9a-fA-F]{2})|"
    f"[{_REFUSED_CHARS}]"
)


def refused_character(text: str) -> str | None:
    """The first character ``loads`` refuses in a string, as ``U+XXXX``; None when there is none."""
    found = _REFUSED.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def _too_deep(text: str, max_depth: int) -> bool:
    """Whether brackets outside string literals nest deeper than ``max_depth``; linear in the text."""
    if text.count("[") + text.count("{") <= max_depth:
        return False  # even if every bracket nested, the limit holds
    outside: list[str] = []
    in_string = False
    for segment in text.split('"'):
        if not in_string:
            outside.append(segment)
            in_string = True
        elif (len(segment) - len(segment.rstrip("\\"))) % 2 == 0:
            in_string = False  # the quote after this segment is not escaped: the string ends
    depth = 0
    for ch in _NOT_A_BRACKET.sub("", "".join(outside)):
        if ch == "[" or ch == "{":
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


def _refuse_constant(name: str) -> Any:
    raise UnsafeJson(f"{name} is not a JSON number we accept", code="invalid_number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise UnsafeJson(f"key {key[:60]!r} appears twice in one object", code="duplicate_key")
            seen.add(key)
    return result


def _walk_strings(value: Any, path: str = "$") -> None:
    if isinstance(value, str):
        bad = refused_character(value)
        if bad is not None:
            raise UnsafeJson(f"{path} holds the control character {bad}", code="control_character")
    elif isinstance(value, dict):
        for key, item in value.items():
            bad = refused_character(key)
            if bad is not None:
                raise UnsafeJson(f"a key in {path} holds the control character {bad}", code="control_character")
            _walk_strings(item, f"{path}.{key[:40]}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk_strings(item, f"{path}[{index}]")


@functools.cache
def _decoder(max_int_digits: int) -> json.JSONDecoder:
    """A decoder with our checks, made once per limit: ``json.loads`` with hooks builds a new decoder (and
    its scanner) at every call, three quarters of the time it took to read an event."""

    def parse_int(digits: str) -> int:
        if len(digits.lstrip("-")) > max_int_digits:
            raise UnsafeJson(f"an integer of {len(digits)} digits exceeds {max_int_digits}", code="invalid_number")
        return int(digits)

    def parse_float(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            raise UnsafeJson(f"the number {literal[:40]} is out of range", code="invalid_number")
        return value

    return json.JSONDecoder(parse_int=parse_int, parse_float=parse_float, parse_constant=_refuse_constant,
                            object_pairs_hook=_unique_keys)


_MISS = object()
_FAST_INT_DIGITS = 20
"""orjson reads integers of up to 64 bits (20 digits) as integers; a reader allowing fewer takes the checked
parser, which counts them."""


def _written_back(data: bytes) -> Any:
    """orjson's value of ``data`` when writing that value back gives ``data`` itself, else ``_MISS``.

    Equal bytes mean that every key, number and string of ``data`` is in the value as written: a duplicate key
    would be missing from it, an integer past 64 bits or a float past the double range would be written back
    differently (or refused), and strings compare escape for escape. Anything else is left to the checked
    parser, which gives the reason for a refusal."""
    try:
        value = orjson.loads(data)
        return value if orjson.dumps(value) == data else _MISS
    except (ValueError, TypeError):  # orjson's JSONDecodeError / JSONEncodeError
        return _MISS


def loads(raw: bytes | bytearray | memoryview | str | None, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse ``raw`` as JSON within ``limits``, or raise ``UnsafeJson`` with the reason."""
    if raw is None:
        raise UnsafeJson("empty body (a tombstone: null value)", code="empty")
    data: bytes | None = None
    if isinstance(raw, str):
        text = raw
        size = len(raw.encode("utf-8", errors="surrogatepass"))
    else:
        size = len(raw)
        if size > limits.max_bytes:
            raise UnsafeJson(f"body of {size} bytes exceeds the limit of {limits.max_bytes}", code="too_large")
        data = bytes(raw)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnsafeJson(f"body is not valid UTF-8 (byte {exc.start})", code="invalid_encoding") from None
    if size > limits.max_bytes:
        raise UnsafeJson(f"body of {size} bytes exceeds the limit of {limits.max_bytes}", code="too_large")
    if not text.strip():
        raise UnsafeJson("empty body", code="empty")
    if _too_deep(text, limits.max_depth):
        raise UnsafeJson(f"nesting deeper than {limits.max_depth} levels", code="too_deep")
    if data is not None and limits.max_int_digits >= _FAST_INT_DIGITS:
        value = _written_back(data)
        if value is not _MISS:
            if _may_hide_refused(text):
                _walk_strings(value)
            return value
    try:
        value = _decoder(limits.max_int_digits).decode(text)
    except UnsafeJson:
        raise
    except json.JSONDecodeError as exc:
        raise UnsafeJson(f"body is not JSON: {exc.msg} (line {exc.lineno} column {exc.colno})") from None
    except (RecursionError, ValueError) as exc:  # a backstop: the checks above should have caught it
        raise UnsafeJson(f"body is not JSON we accept: {type(exc).__name__}") from None
    if _may_hide_refused(text):
        _walk_strings(value)
    return value


def _may_hide_refused(text: str) -> bool:
    """``_SUSPECT`` matches: ASCII text without escapes or DEL cannot (a raw control character is not
    JSON), and those three checks run in C far faster than the expression (10 µs an event)."""
    if text.isascii() and "\\u" not in text and "\x7f" not in text:
        return False
    return _SUSPECT.search(text) is not None
