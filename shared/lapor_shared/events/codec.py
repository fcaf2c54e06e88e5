"""Bytes on the wire <-> envelopes. JSON body; ids, type, version and jurisdiction also as headers."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from lapor_shared.events.envelope import Envelope
from lapor_shared.events.registry import payload_type

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


def decode(raw: bytes | str | None) -> Envelope[Any]:
    """Parse and validate a message body into a typed envelope, or raise DecodeError with the reason."""
    if raw is None or len(raw) == 0:
        raise DecodeError("empty body (a tombstone or a message without a value)")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError(f"body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise DecodeError("body is not a JSON object")
    event_type, version = data.get("event_type"), data.get("schema_version")
    if not isinstance(event_type, str) or not isinstance(version, int) or isinstance(version, bool):
        raise DecodeError("event_type (string) and schema_version (integer) are required")
    model = payload_type(event_type, version)
    if model is None:
        raise DecodeError(f"unknown event type {event_type!r} version {version}")
    try:
        return Envelope[model].model_validate(data)  # type: ignore[valid-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:10]
        )
        raise DecodeError(f"invalid {event_type} v{version}: {problems}") from exc
