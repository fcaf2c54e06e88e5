"""structlog set-up: JSON lines in production, readable console output on a terminal.

Log lines are events: a constant snake_case event name plus key/value pairs, never f-strings.
A processor removes values that look like contact details (phone numbers, e-mail addresses) from
every line, as a last line of defence; the first line is never to log them at all.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, cast

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


def configure_logging(service: str, *, fmt: str = "auto", level: str = "INFO") -> None:
    """Configure structlog and the standard library logging (FastStream, aiokafka) to match."""
    json_output = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,  # render tracebacks first, so that they are masked too
        _redact_contacts,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer(colors=False)
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
