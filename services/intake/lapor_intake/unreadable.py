"""Submissions intake cannot read, answered anyway when the channel can be told.

A ``complaint.submitted`` that breaks the wire contract (a latitude of 200, an unknown channel, a
location text of 600 characters, a missing ``submitted_at``, a schema version intake does not know)
cannot be decoded, and the shared consumer would dead-letter it: the adapter would never hear why.
When the body still names its channel and channel message id, intake answers it instead with a
``complaint.rejected`` whose reasons name each broken field (code ``malformed``, or
``unsupported_version``). Anything else (not JSON, too large or too deep, another event type, no message
id) is dead-lettered by the shared consumer with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from lapor_intake import service
from lapor_shared.consumer import Tx
from lapor_shared.events import DecodeError, Envelope, decode, payload_type
from lapor_shared.events.intake import ComplaintSubmitted
from lapor_shared.events.values import Reason, reason
from lapor_shared.logging import get_logger
from lapor_shared.safejson import UnsafeJson, loads

log = get_logger(component="intake")

MAX_REASONS = 10


@dataclass(frozen=True)
class Unreadable:
    channel: str
    channel_message_id: str
    reasons: list[Reason]


def _field(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc[1:] if loc and loc[0] == "payload" else ("envelope", *loc):
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{item}]"]
        else:
            parts.append(str(item))
    return ".".join(parts)


def _reasons(data: dict[str, Any]) -> list[Reason]:
    version = data.get("schema_version")
    if (not isinstance(version, int) or isinstance(version, bool)
            or payload_type("complaint.submitted", version) is None):
        return [reason(
            "unsupported_version", field="schema_version",
            message_id="Versi skema complaint.submitted ini tidak dikenal (gunakan schema_version 1).",
            message_en="This complaint.submitted schema_version is not supported (use schema_version 1).",
        )]
    try:
        Envelope[ComplaintSubmitted].model_validate(data)
    except ValidationError as exc:
        return [
            reason(
                "malformed", field=_field(tuple(error["loc"])),
                message_id=f"Kolom {_field(tuple(error['loc']))} tidak sesuai format complaint.submitted.",
                message_en=f"{_field(tuple(error['loc']))}: {error['msg']}",
            )
            for error in exc.errors()[:MAX_REASONS]
        ]
    return [reason(
        "malformed", message_id="Kiriman tidak sesuai format complaint.submitted.",
        message_en="The message does not follow the complaint.submitted format.",
    )]


def salvage(raw: bytes | None, *, source: str) -> Unreadable | None:
    """An answerable description of an undecodable submission; None when it decodes or names no channel
    message (then the shared consumer handles it)."""
    try:
        decode(raw)
        return None
    except DecodeError:
        pass
    try:
        data = loads(raw)
    except UnsafeJson:
        return None  # too large, too deep, not JSON …: nothing to answer with, the dead letter says why
    if not isinstance(data, dict) or data.get("event_type") != "complaint.submitted":
        return None
    payload = data.get("payload")
    if not isinstance(payload, dict):
        return None
    channel, message_id = payload.get("channel"), payload.get("channel_message_id")
    if not (isinstance(channel, str) and 0 < len(channel) <= 50 and channel.isprintable()):
        return None
    if not (isinstance(message_id, str) and 0 < len(message_id) <= 200 and message_id.isprintable()):
        return None
    return Unreadable(channel, message_id, _reasons(data))


async def answer_unreadable(tx: Tx, record: Any) -> bool:
    """The consumer's ``answer_undecodable``: reject an unreadable submission to its channel, in the
    consumer's transaction (the inbox records it once). False when there is nothing to answer."""
    found = salvage(record.value, source=f"{record.topic}:{record.partition}:{record.offset}")
    if found is None:
        return False
    await service.reject(tx, found.channel, found.channel_message_id, found.reasons)
    log.warning("submission_unreadable", codes=sorted({r.code for r in found.reasons}))
    return True
