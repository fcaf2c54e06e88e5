"""What each topic shows of an event: the whole event, or, on a shared jurisdiction topic, a rahasia
complaint's event without its content.

A shared jurisdiction topic (``lapor.jurisdiction.ID.18.71``) is read by every agency of its jurisdiction
and by the levels above it; a rahasia (confidential) complaint's content is for the responsible agency
(its own stream), the triage desk (its stream) and the levels above them only. So on a shared topic an
event whose envelope does not say ``confidential: false`` keeps its ids, type, agencies, statuses,
dates, codes and counts, and loses every text a person wrote or that names the place precisely: title,
description, location text and coordinates (the region code stays), attachments and evidence, response and reply
texts, ratings' comments, reasons' sentences (their codes stay), extension and reopening reasons, and
the reporter's opaque ref. Each withheld text reads ``WITHHELD``.

``Outbox.add`` writes ``shown_on(envelope, topic)`` for each destination: one event, one event id, a body
per topic. The table below names the content of every event that reaches a jurisdiction topic; an event
type missing from it cannot be written to one (``KeyError``), so a new event is a decision, not a leak.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lapor_shared.events import Envelope, Payload
from lapor_shared.events import lifecycle as lc
from lapor_shared.events.values import Location, Reason
from lapor_shared.topics import is_shared_jurisdiction_topic

WITHHELD = "[dirahasiakan / withheld: rahasia]"
"""What a withheld text reads on a shared jurisdiction topic."""


def _reason(value: Reason) -> Reason:
    return value.model_copy(update={"message_id": WITHHELD, "message_en": WITHHELD})


def _place(value: Location) -> Location:
    return Location(region_code=value.region_code)


def _text(value: str | None) -> str | None:
    return None if value is None else WITHHELD


def _nothing(payload: Any) -> dict[str, Any]:
    return {}


CONTENT: dict[type[Payload], Callable[[Any], dict[str, Any]]] = {
    lc.ComplaintRouted: lambda p: {
        "title": WITHHELD, "description": WITHHELD, "incident_date": None, "location": _place(p.location),
        "attachments": [], "evidence": [], "reporter_ref": None, "reason": _reason(p.reason),
    },
    lc.ComplaintNeedsTriage: lambda p: {
        "title": WITHHELD, "description": WITHHELD, "location": _place(p.location), "reason": _reason(p.reason),
    },
    lc.ComplaintForwarded: lambda p: {"reason": _reason(p.reason)},
    lc.ComplaintHeld: lambda p: {"reason": _reason(p.reason)},
    lc.ComplaintArchived: lambda p: {"reason": _reason(p.reason)},
    lc.ComplaintResponded: lambda p: {"text": WITHHELD, "attachments": [], "evidence": []},
    lc.ComplaintReporterReplied: lambda p: {"text": WITHHELD, "attachments": [], "evidence": []},
    lc.ComplaintRated: lambda p: {"comment": _text(p.comment)},
    lc.DeadlineExtended: lambda p: {"reason": WITHHELD},
    lc.ComplaintReopened: lambda p: {"reason": _text(p.reason)},
    lc.ActionRejected: lambda p: {"reason": _reason(p.reason)},
    lc.ComplaintAcknowledged: _nothing,
    lc.DeadlineSet: _nothing,
    lc.DeadlineWarning: _nothing,
    lc.DeadlineBreached: _nothing,
    lc.ComplaintEscalated: _nothing,
    lc.ComplaintClosed: _nothing,
}
"""Per event type that reaches a jurisdiction topic: its content fields and what replaces them."""


def withheld(envelope: Envelope[Any]) -> Envelope[Any]:
    """``envelope`` without its content (same event id): how a shared topic shows a rahasia complaint."""
    changes = CONTENT[type(envelope.payload)](envelope.payload)
    if not changes:
        return envelope
    return envelope.model_copy(update={"payload": envelope.payload.model_copy(update=changes)})


def shown_on(envelope: Envelope[Any], topic: str) -> Envelope[Any]:
    """What ``topic`` shows of ``envelope``: withheld on a shared jurisdiction topic unless the envelope
    says the complaint is not rahasia, whole everywhere else."""
    if envelope.confidential is False or not is_shared_jurisdiction_topic(topic):
        return envelope
    return withheld(envelope)
