"""Dead letters: what a consumer could not process, kept twice for two readers.

- **Operators** read ``lapor.deadletter``: the reason, the source topic/partition/offset, the original
  headers, and the body with every trace of a reporter's identity removed (the ``reporter`` object,
  names, NIK numbers, addresses, phone numbers, e-mail addresses, contact ciphertext), cut to a size any
  broker accepts. Every text is stripped of control characters first, so that nothing an attacker
  sent can break the outbox (PostgreSQL refuses NUL in ``jsonb``) or a terminal.
- **The replay command** (``python -m lapor_shared.replay``) reads the service's own ``dead_letters``
  table, which keeps the original bytes, key and headers in the service's private store, so that a
  fixed consumer can process exactly what it refused before.

Work that fails for good outside a consumer (a notification that could not be delivered) is told to
operators the same way, cleaned and redacted alike, on the topic only (``write_failure``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from lapor_shared.db import Conn
from lapor_shared.logging import SENSITIVE_KEYS, redact_text
from lapor_shared.outbox import Outbox
from lapor_shared.safejson import Limits, UnsafeJson, loads
from lapor_shared.topics import DEAD_LETTER

MAX_LETTER_BYTES = 64 * 1024
"""The redacted body an operator sees is cut here (a 5 MB poison must not become a 5 MB dead letter)."""
MAX_KEPT_BYTES = 1024 * 1024
"""Originals up to this size are kept for replay; a larger one could never be processed anyway."""
MAX_HEADERS = 32
MAX_HEADER_CHARS = 512
MASK = "[disamarkan]"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_READ_LIMITS = Limits(max_bytes=MAX_KEPT_BYTES, max_depth=64, max_int_digits=400)


def clean_text(value: str, limit: int) -> str:
    """Printable, masked and short: safe for a header, a ``jsonb`` value, a log line and a terminal."""
    return redact_text(_CONTROL.sub("\ufffd", value[: limit * 2]))[:limit]


def source_of(record: Any) -> str:
    return f"{record.topic}:{record.partition}:{record.offset}"


def undecodable_id(record: Any) -> str:
    """Inbox id of a message without a usable event id: where it sits and what it holds (a redelivery
    of the same record gets the same id; the in-memory test broker reuses offsets)."""
    digest = hashlib.sha256(record.value or b"").hexdigest()[:16]
    return f"{source_of(record)}:{digest}"


def _redact(value: Any, parent: dict[str, Any] | None = None) -> Any:
    if isinstance(value, dict):
        return {
            key: MASK if _sensitive(key, value) else _redact(item, value)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redact(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def _sensitive(key: str, obj: dict[str, Any]) -> bool:
    lowered = key.lower()
    if lowered in ("name", "nama"):
        return "agency_id" not in obj  # an agency's name is public; anyone else's is not
    return lowered in SENSITIVE_KEYS


_SENSITIVE_VALUE = re.compile(
    r'"(' + "|".join(sorted(SENSITIVE_KEYS | {"name", "nama"})) + r')"(\s*:\s*)"(?:[^"\\]|\\.){0,2000}"',
    re.IGNORECASE,
)


def redact_body(body: bytes) -> bytes:
    """The original message minus any reporter identity, cut to ``MAX_LETTER_BYTES``."""
    if len(body) <= MAX_KEPT_BYTES:
        try:
            data = loads(body, _READ_LIMITS)
        except UnsafeJson:
            pass
        else:
            return json.dumps(_redact(data), ensure_ascii=False).encode()[:MAX_LETTER_BYTES]
    # not JSON we read (or too large to): mask by shape what looks like a sensitive field, then by pattern
    text = body[:MAX_LETTER_BYTES].decode("utf-8", errors="replace")
    text = _SENSITIVE_VALUE.sub(lambda m: f'"{m.group(1)}"{m.group(2)}"{MASK}"', text)
    return clean_text(text, MAX_LETTER_BYTES).encode()[:MAX_LETTER_BYTES]


def _cleaned(original: Iterable[tuple[str, bytes | str | None]]) -> dict[str, str]:
    """Original headers, cleaned and masked, without any that pretend to be ours (``dlq_*``)."""
    headers: dict[str, str] = {}
    for name, value in list(original)[:MAX_HEADERS]:
        key = clean_text(str(name), 64)
        if key and not key.startswith("dlq_"):
            text = value if isinstance(value, str) else (value or b"").decode("utf-8", errors="replace")
            headers[key] = clean_text(text, MAX_HEADER_CHARS)
    return headers


def letter_headers(record: Any, *, consumer: str, reason: str) -> dict[str, str]:
    """The original headers (cleaned and masked) and where, why and when the message failed."""
    headers = _cleaned(record.headers or ())
    size = len(record.value or b"")
    headers.update(
        dlq_reason=clean_text(reason, 2000),
        dlq_consumer=consumer,
        dlq_source_topic=record.topic,
        dlq_source_partition=str(record.partition),
        dlq_source_offset=str(record.offset),
        dlq_original_bytes=str(size),
        dlq_failed_at=datetime.now(UTC).isoformat(),
    )
    if size > MAX_LETTER_BYTES:
        headers["dlq_truncated"] = "true"
    return headers


def _kept_headers(record: Any) -> list[list[str]]:
    """Every original header, byte for byte (base64), for the replay."""
    return [[clean_text(str(name), 256), base64.b64encode(value or b"").decode()] for name, value in
            (record.headers or ())]


async def write(
    conn: Conn, outbox: Outbox, record: Any, *, consumer: str, message_id: str, reason: str,
    minimal: bool = False,
) -> None:
    """In the caller's transaction: the operators' copy to the outbox, the original to ``dead_letters``.

    ``minimal`` leaves out everything the message carried (a fallback for a message whose own bytes
    cannot even be stored): only the reason and where it sat remain.
    """
    headers = letter_headers(record, consumer=consumer, reason=reason)
    value = record.value or b""
    if minimal:
        headers = {k: v for k, v in headers.items() if k.startswith("dlq_")}
    await outbox.add_raw(conn, topic=DEAD_LETTER.name, key=source_of(record).encode(), headers=headers,
                         payload=b"" if minimal else redact_body(value))
    kept = None if minimal or len(value) > MAX_KEPT_BYTES else bytes(value)
    await conn.execute(
        "INSERT INTO dead_letters (consumer, message_id, reason, source_topic, source_partition, source_offset,"
        " key, headers, value, value_size) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        consumer, message_id, headers["dlq_reason"], record.topic, record.partition, record.offset,
        None if minimal else getattr(record, "key", None), [] if minimal else _kept_headers(record), kept,
        len(value),
    )


async def write_failure(
    conn: Conn, outbox: Outbox, *, consumer: str, source: str, key: str, reason: str, body: bytes,
    headers: Mapping[str, str] | None = None, details: Mapping[str, str] | None = None,
    failed_at: datetime | None = None,
) -> None:
    """In the caller's transaction: the operators' copy of work that failed for good but is not a Kafka
    record (a notification that could not be delivered), cleaned and redacted like any dead letter.

    ``source`` says where the work came from (``notify.notifications``), ``key`` keys the letter,
    ``body`` and ``headers`` are what the failure is told with (the ``notification.failed`` event),
    ``details`` become ``dlq_<name>`` headers (the delivery id, the attempts). There is no original
    record to replay, so nothing goes to ``dead_letters``.
    """
    letter = _cleaned((headers or {}).items())
    letter.update(
        dlq_reason=clean_text(reason, 2000),
        dlq_consumer=clean_text(consumer, 200),
        dlq_source=clean_text(source, 200),
        **{f"dlq_{clean_text(name, 60)}": clean_text(value, MAX_HEADER_CHARS)
           for name, value in (details or {}).items()},
        dlq_original_bytes=str(len(body)),
        dlq_failed_at=(failed_at or datetime.now(UTC)).isoformat(),
    )
    if len(body) > MAX_LETTER_BYTES:
        letter["dlq_truncated"] = "true"
    await outbox.add_raw(conn, topic=DEAD_LETTER.name, key=key.encode(), headers=letter, payload=redact_body(body))

