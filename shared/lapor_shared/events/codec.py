"""Bytes on the wire <-> envelopes. JSON body; ids, type, version and jurisdiction also as headers.

``decode`` reads a body from anyone: any failure (not UTF-8, not JSON, too deep, too large, a number or
a character we refuse, the wrong shape, an unknown type or version, a missing or malformed event id) is
a ``DecodeError`` with a one-line reason, never another exception. ``decode_record`` also holds the
Kafka record around the body to the contract: the headers and the key, when given, must agree with
the body, and the event must belong on the topic it arrived on.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from lapor_shared.events.envelope import Envelope, envelope_type
from lapor_shared.events.registry import CATALOGUE, payload_type
from lapor_shared.safejson import DEFAULT_LIMITS, Limits, UnsafeJson, loads

CONTENT_TYPE = "application/json"


class DecodeError(ValueError):
    """A message that is not a valid event of a known type and version; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def encode(envelope: Envelope[Any]) -> bytes:
    return envelope.model_dump_json().encode()


def headers_of(envelope: Envelope[Any]) -> dict[str, str]:
    """Kafka headers that let any consumer filter without parsing the body."""
    headers = {
        "content-type": CONTENT_TYPE,
        "event_id": str(envelope.event_id),
        "event_type": envelope.event_type,
        "schema_version": str(envelope.schema_version),
        "correlation_id": str(envelope.correlation_id),
        "producer": envelope.producer,
    }
    optional = {
        "causation_id": envelope.causation_id,
        "complaint_id": envelope.complaint_id,
        "tracking_number": envelope.tracking_number,
        "jurisdiction_code": envelope.jurisdiction_code,
    }
    headers.update({k: str(v) for k, v in optional.items() if v is not None})
    return headers


def _known_versions(event_type: str) -> list[int]:
    return sorted(v for (t, v) in CATALOGUE if t == event_type)


def decode(raw: bytes | str | None, limits: Limits = DEFAULT_LIMITS) -> Envelope[Any]:
    """Parse and validate a message body into a typed envelope, or raise DecodeError with the reason."""
    try:
        data = loads(raw, limits)
    except UnsafeJson as exc:
        raise DecodeError(exc.reason) from None
    if not isinstance(data, dict):
        raise DecodeError(f"body is not a JSON object (a {type(data).__name__})")
    event_type, version = data.get("event_type"), data.get("schema_version")
    if not isinstance(event_type, str) or not isinstance(version, int) or isinstance(version, bool):
        raise DecodeError("event_type (string) and schema_version (integer) are required")
    model = payload_type(event_type, version)
    if model is None:
        known = _known_versions(event_type)
        if known:
            raise DecodeError(f"{event_type} schema_version {version} is not supported (known: {known})")
        raise DecodeError(f"unknown event type {event_type[:100]!r} version {version}")
    event_id = data.get("event_id")
    if not isinstance(event_id, str):
        raise DecodeError("event_id (a UUID string) is required")
    try:
        UUID(event_id)
    except ValueError:
        raise DecodeError(f"event_id {event_id[:60]!r} is not a UUID") from None
    try:
        return envelope_type(model).model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:10]
        )
        raise DecodeError(f"invalid {event_type} v{version}: {problems}") from None
    except (RecursionError, ValueError) as exc:  # a backstop; the limits above should have caught it
        raise DecodeError(f"invalid {event_type} v{version}: {type(exc).__name__}") from None


_CHECKED_HEADERS = ("event_id", "event_type", "schema_version", "complaint_id", "jurisdiction_code")


def _header_text(headers: Iterable[tuple[str, bytes | None]] | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in headers or ():
        if name in _CHECKED_HEADERS:
            if name in found:
                raise DecodeError(f"header {name!r} appears twice")
            found[name] = (value or b"").decode("utf-8", errors="replace")
    return found


def check_delivery(
    envelope: Envelope[Any], *, topic: str, key: bytes | None, headers: Iterable[tuple[str, bytes | None]] | None,
) -> None:
    """The record around a valid body keeps the contract, or DecodeError says how it does not.

    A header or key that is absent (or empty) is accepted: any Kafka client may publish without them. One
    that is present must say what the body says, since consumers filter and partition on them.
    """
    from lapor_shared.topics import belongs_on, destinations, key_of, sender_kind

    if sender_kind(envelope.event_type) is not None:
        if not belongs_on(envelope, topic):  # its own sender's topic, whichever: the consumer holds it to it
            raise DecodeError(f"{envelope.event_type} does not belong on {topic} (it goes to its sender's topic)")
    else:
        try:
            allowed = destinations(envelope)
        except ValueError as exc:
            raise DecodeError(str(exc)) from None
        if topic not in allowed:
            raise DecodeError(f"{envelope.event_type} does not belong on {topic} (it goes to {', '.join(allowed)})")
    body = {
        "event_id": str(envelope.event_id),
        "event_type": envelope.event_type,
        "schema_version": str(envelope.schema_version),
        "complaint_id": str(envelope.complaint_id) if envelope.complaint_id else "",
        "jurisdiction_code": envelope.jurisdiction_code or "",
    }
    for name, value in _header_text(headers).items():
        if value != body[name]:
            raise DecodeError(f"header {name} {value[:60]!r} disagrees with the body's {body[name][:60]!r}")
    expected = key_of(envelope, topic)
    if key and expected is not None and bytes(key) != expected:  # an empty key counts as none
        raise DecodeError(
            f"key {bytes(key)[:60].decode('utf-8', 'replace')!r} does not match the body's"
            f" {expected.decode('utf-8', 'replace')!r}"
        )


def declared_event_type(record: Any) -> str | None:
    """The event type a record's ``event_type`` header names, read without touching the body: only when
    the header appears once, is UTF-8, names an event type of the catalogue, and that type belongs on the
    record's topic. Otherwise None: what the record is can be known only by decoding it in full (and a
    record that breaks the contract is dead-lettered there). A consumer may skip a record whose declared
    type it does not handle; a body that lies about its header is caught by the consumers that do."""
    declared: str | None = None
    seen = 0
    for name, value in getattr(record, "headers", None) or ():
        if name == "event_type":
            seen += 1
            try:
                declared = bytes(value or b"").decode("utf-8")
            except UnicodeDecodeError:
                return None
    if seen != 1 or not declared:
        return None
    return declared if _belongs_on(declared, str(record.topic)) else None


@cache
def _belongs_on(event_type: str, topic: str) -> bool:
    from lapor_shared.topics import JURISDICTION_PREFIX, destinations, family_of, sender_kind

    if not _known_versions(event_type):
        return False
    sender = sender_kind(event_type)
    if sender is not None:  # an agency's or admin scope's command: any topic of its family (as belongs_on)
        return family_of(sender).owner_of(topic) is not None
    fields: dict[str, Any] = {"event_type": event_type, "jurisdiction_code": "18.71"}  # what destinations reads
    probe: Envelope[Any] = Envelope.model_construct(**fields)  # any code stands for every jurisdiction topic
    try:
        allowed = destinations(probe)
    except ValueError:
        return False
    jurisdiction = topic.startswith(f"{JURISDICTION_PREFIX}.")
    return any(t == topic or (jurisdiction and t.startswith(f"{JURISDICTION_PREFIX}.")) for t in allowed)


def decode_record(record: Any, limits: Limits = DEFAULT_LIMITS) -> Envelope[Any]:
    """``decode`` the value of a Kafka record and ``check_delivery`` it against its topic, key and headers."""
    envelope = decode(record.value, limits)
    check_delivery(envelope, topic=record.topic, key=record.key, headers=record.headers)
    return envelope
