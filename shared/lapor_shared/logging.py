"""structlog set-up: JSON lines in production, readable console output on a terminal.

Log lines are events: a constant snake_case event name plus key/value pairs, never f-strings.
A processor removes values that look like contact details (phone numbers, e-mail addresses) from
every line, as a last line of defence; the first line is never to log them at all.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from contextvars import ContextVar, Token
from datetime import date, time
from typing import Any, cast
from uuid import UUID

import orjson
import structlog

# bounded repetitions keep every pattern linear on long attacker-made strings (no backtracking blow-up)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}")
# +62 812-3456-7890, +62-812…, 62812…, 0812 3456 7890; not inside UUIDs or other hex/word runs
_PHONE = re.compile(r"(?<![\w-])(?:\+?62[\s-]?|0)8\d(?:[\s-]?\d){6,11}(?![\w-])")
# a NIK (Nomor Induk Kependudukan, the national identity number) is 16 digits, spaced or not
_NIK = re.compile(r"(?<![\w-])\d(?:[ .-]?\d){15}(?![\w-])")
# a reporter's key (lapor_shared.reporter_proof): four groups of four Crockford symbols, nothing around them
_REPORTER_KEY = re.compile(r"(?<![\w-])[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}(?![\w-])")
SENSITIVE_KEYS = frozenset({
    "reporter", "reporter_name", "pelapor", "nama_pelapor", "nik", "ktp", "no_ktp", "phone", "phone_number",
    "telepon", "no_hp", "hp", "email", "address", "alamat", "contact", "kontak", "ciphertext", "date_of_birth",
    "tanggal_lahir", "reporter_key", "kunci", "key_ciphertext",
})
"""Keys whose values identify a person or prove to be one (the reporter's key): masked in log lines and
dead letters whatever they hold."""
_FORBIDDEN_KEYS = SENSITIVE_KEYS | {"name", "nama"}

# any of the four, found in one pass: most values (ids, names of things) hold none, and four substitutions
# on every value of every line were a tenth of a busy service's time (issue 17)
_ANY = re.compile("|".join(f"(?:{p.pattern})" for p in (_EMAIL, _PHONE, _NIK, _REPORTER_KEY)))
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}")
"""A UUID or a trace id: none of the four fits inside one (they need a word boundary or an @)."""
_CLEAN: set[str] = set()
"""Values found to hold none of the four (names of events, topics, templates, agencies come again and
again); only clean values are remembered, never one that held a contact."""


def redact_text(value: str) -> str:
    """Replace anything that looks like an e-mail address, an Indonesian phone number, a NIK or a
    reporter's key."""
    if len(value) < 6 or ((len(value) == 36 or len(value) == 32) and _ID.fullmatch(value)):
        return value  # too short for any of them, or an id
    if value in _CLEAN:
        return value
    if not _ANY.search(value):
        if len(value) <= 200:
            if len(_CLEAN) >= 4096:
                _CLEAN.clear()
            _CLEAN.add(value)
        return value
    masked = _PHONE.sub("[telepon-disamarkan]", _EMAIL.sub("[email-disamarkan]", value))
    masked = _REPORTER_KEY.sub("[kunci-disamarkan]", masked)
    return _NIK.sub("[nik-disamarkan]", masked)


def _redact_value(key: str | None, value: Any) -> Any:
    if key in _FORBIDDEN_KEYS:
        return "[disamarkan]"
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_redact_value(None, v) for v in value]
    return value


def _redact_contacts(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Mask contact details anywhere in the line: nested values and rendered tracebacks too."""
    for key, value in list(event_dict.items()):
        if key != "timestamp":  # our own TimeStamper's
            event_dict[key] = _redact_value(key, value)
    return event_dict


_SCOPE: ContextVar[Mapping[str, Any] | None] = ContextVar("lapor_log_scope", default=None)


class log_scope:
    """Bind ``values`` to every line logged inside, like ``structlog.contextvars.bound_contextvars`` but in one
    context variable whatever their number, and without a generator: an event's scope is entered several
    times per event, and binding its nine keys one by one was a twelfth of a busy consumer's time (issue 17).
    Inner scopes add to (and override) outer ones; keys given to the log call itself win over both."""

    __slots__ = ("_token", "_values")

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values
        self._token: Token[Mapping[str, Any] | None] | None = None

    def __enter__(self) -> None:
        outer = _SCOPE.get()
        self._token = _SCOPE.set(self._values if outer is None else {**outer, **self._values})

    def __exit__(self, *_: object) -> None:
        if self._token is not None:
            _SCOPE.reset(self._token)
            self._token = None


def merge_context(logger: Any, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """``structlog.contextvars.merge_contextvars``, then the enclosing ``log_scope``; the line's own keys win."""
    merged = structlog.contextvars.get_contextvars()
    scoped = _SCOPE.get()
    if scoped:
        merged.update(scoped)
    merged.update(event_dict)
    return merged


def _fallback(value: Any) -> Any:
    """What JSON cannot hold as it is: an id or a time as its text (as ``orjson`` writes them), else its
    ``__structlog__()`` if it has one, else its ``repr`` (as structlog's)."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, date | time):
        return value.isoformat()
    render = getattr(value, "__structlog__", None)
    return render() if callable(render) else repr(value)


_ENCODER = json.JSONEncoder(default=_fallback)
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS


def _dumps(value: Any, **_: Any) -> str:
    """A line as JSON: by ``orjson`` (a third of the standard encoder's time, issue 17), else, for what it
    cannot write (an integer past 64 bits), by the standard encoder made once; both write ids and times as
    their text (``_fallback``)."""
    try:
        return orjson.dumps(value, default=_fallback, option=_ORJSON_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError
        return _ENCODER.encode(value)


def configure_logging(service: str, *, fmt: str = "auto", level: str = "INFO") -> None:
    """Configure structlog and the standard library logging (FastStream, aiokafka) to match."""
    json_output = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Any] = [
        merge_context,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,  # render tracebacks first, so that they are masked too
        _redact_contacts,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=_dumps) if json_output
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    for ours in ("faststream", "lapor"):
        logging.getLogger(ours).setLevel(level.upper())
    # FastStream gives its own logger a handler of its own; its lines must look (and be masked) like ours
    faststream_logger = logging.getLogger("faststream")
    faststream_logger.handlers[:] = []
    faststream_logger.propagate = True


def get_logger(**bindings: Any) -> structlog.stdlib.BoundLogger:
    return cast(structlog.stdlib.BoundLogger, structlog.get_logger(**bindings))
