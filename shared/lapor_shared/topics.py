"""The topic catalogue: every topic, its key, partitions, retention, writers and readers, in one place.

Jurisdiction-facing topics form a tree of prefixes: ``lapor.jurisdiction.ID`` (national bodies),
``lapor.jurisdiction.ID.18`` (Lampung province), ``lapor.jurisdiction.ID.18.71`` (Kota Bandar Lampung).
A Kafka prefix ACL or a pattern subscription on ``lapor.jurisdiction.ID.18`` therefore covers the
province and all its regencies and cities, and ``lapor.jurisdiction.ID`` covers the nation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from lapor_shared.events.envelope import Envelope
from lapor_shared.events.values import NATIONAL_CODE
from lapor_shared.regions import all_regions

Audience = Literal["channel", "internal", "restricted", "agency", "operations"]
DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    key: str
    retention_ms: int
    audience: Audience
    writers: tuple[str, ...]
    readers: tuple[str, ...]
    description: str


SUBMISSIONS = TopicSpec(
    "lapor.submissions", 6, "channel:channel_message_id", 7 * DAY_MS, "channel",
    ("gateway", "channel adapters"), ("intake",),
    "complaint.submitted from every channel; the key keeps one channel message on one partition",
)
SUBMISSION_RESULTS = TopicSpec(
    "lapor.submissions.results", 6, "channel:channel_message_id", 7 * DAY_MS, "channel",
    ("intake",), ("gateway", "channel adapters"),
    "submission.accepted (tracking number, the reporter's key, the phone's keyed hash) and complaint.rejected"
    " (with reasons) per channel message; never the complaint's content",
)
COMPLAINTS = TopicSpec(
    "lapor.complaints", 6, "complaint_id", 90 * DAY_MS, "internal",
    ("intake", "routing", "followup"), ("routing", "followup", "notify", "dashboard", "gateway"),
    "every complaint's lifecycle, in order per complaint; the platform's own stream",
)
CONTACTS = TopicSpec(
    "lapor.restricted.contacts", 6, "reporter_ref", 7 * DAY_MS, "restricted",
    ("intake",), ("notify",),
    "reporter.contact_shared / contact_erased, encrypted for notify alone; no other reader is ever granted;"
    " short retention so an erased reporter's ciphertext ages out",
)
AGENCY_COMMANDS = TopicSpec(
    "lapor.commands.agency", 6, "complaint_id", 30 * DAY_MS, "agency",
    ("agencies",), ("routing", "followup"),
    "agency.acknowledge / respond / request_extension / resolve / forward",
)
REPORTER_COMMANDS = TopicSpec(
    "lapor.commands.reporter", 6, "complaint_id", 30 * DAY_MS, "channel",
    ("gateway", "channel adapters"), ("intake", "followup"),
    "reporter.reply / rate / reopen, published by a channel only after it checked the reporter's proof (key or"
    " SMS number); reporter.erase_contact (intake)",
)
ADMIN_COMMANDS = TopicSpec(
    "lapor.commands.admin", 3, "complaint_id", 30 * DAY_MS, "operations",
    ("admins",), ("routing", "followup"),
    "admin.decide_triage / hold / close / reopen",
)
REGISTRY_COMMANDS = TopicSpec(
    "lapor.commands.registry", 1, "agency_id", 365 * DAY_MS, "operations",
    ("admins",), ("routing",),
    "registry.upsert_agency / deactivate_agency: the agency registry changes at run time",
)
NOTIFICATIONS = TopicSpec(
    "lapor.notifications", 6, "complaint_id", 30 * DAY_MS, "internal",
    ("notify",), ("operations", "dashboards"),
    "notification.sent / notification.failed",
)
DEAD_LETTER = TopicSpec(
    "lapor.deadletter", 3, "source topic:partition:offset", 30 * DAY_MS, "operations",
    ("every service",), ("operators",),
    "messages a consumer could not process, with the reason and the original headers",
)

JURISDICTION_PREFIX = "lapor.jurisdiction"
JURISDICTION_PARTITIONS = 1
JURISDICTION_RETENTION_MS = 90 * DAY_MS

FIXED_TOPICS: tuple[TopicSpec, ...] = (
    SUBMISSIONS, SUBMISSION_RESULTS, COMPLAINTS, CONTACTS, AGENCY_COMMANDS, REPORTER_COMMANDS,
    ADMIN_COMMANDS, REGISTRY_COMMANDS, NOTIFICATIONS, DEAD_LETTER,
)


def jurisdiction_path(code: str) -> str:
    """``18.71`` → ``ID.18.71``; ``18`` → ``ID.18``; ``ID`` → ``ID``."""
    if code == NATIONAL_CODE:
        return NATIONAL_CODE
    if not re.fullmatch(r"\d{2}(\.\d{2})?", code):
        raise ValueError(f"not a province or regency code: {code!r}")
    return f"{NATIONAL_CODE}.{code}"


def jurisdiction_topic(code: str) -> str:
    return f"{JURISDICTION_PREFIX}.{jurisdiction_path(code)}"


def jurisdiction_pattern(code: str) -> str:
    """Regex matching the topics of ``code`` and of everything below it (for pattern subscriptions)."""
    return re.escape(jurisdiction_topic(code)) + r"(\..+)?"


def jurisdiction_topics() -> list[TopicSpec]:
    codes = [NATIONAL_CODE, *sorted(all_regions())]
    return [
        TopicSpec(
            jurisdiction_topic(code), JURISDICTION_PARTITIONS, "complaint_id", JURISDICTION_RETENTION_MS,
            "agency", ("routing", "followup"), ("agencies and monitoring levels of this subtree",),
            f"lifecycle of complaints whose responsible agency sits at {code}",
        )
        for code in codes
    ]


def all_topics() -> list[TopicSpec]:
    return [*FIXED_TOPICS, *jurisdiction_topics()]


_COMMAND_TOPICS = {
    "agency": AGENCY_COMMANDS.name,
    "reporter": REPORTER_COMMANDS.name,
    "admin": ADMIN_COMMANDS.name,
    "registry": REGISTRY_COMMANDS.name,
}


def destinations(envelope: Envelope[Any]) -> list[str]:
    """Where an event or command is published. The single rule every outbox follows."""
    kind = envelope.event_type.split(".", 1)[0]
    if envelope.event_type == "complaint.submitted":
        return [SUBMISSIONS.name]
    if envelope.event_type == "complaint.rejected":
        return [SUBMISSION_RESULTS.name]
    if envelope.event_type == "submission.accepted":
        return [SUBMISSION_RESULTS.name]
    if envelope.event_type == "complaint.accepted":  # the full content, rahasia or not: the platform's stream only
        return [COMPLAINTS.name]
    if envelope.event_type in ("reporter.contact_shared", "reporter.contact_erased"):
        return [CONTACTS.name]
    if kind == "notification":
        return [NOTIFICATIONS.name]
    if kind in _COMMAND_TOPICS:
        return [_COMMAND_TOPICS[kind]]
    if kind == "complaint":
        topics = [COMPLAINTS.name]
        if envelope.jurisdiction_code:
            topics.append(jurisdiction_topic(envelope.jurisdiction_code))
        return topics
    raise ValueError(f"no destination for event type {envelope.event_type!r}")


def key_of(envelope: Envelope[Any], topic: str | None = None) -> bytes | None:
    """Partition key on ``topic``, as the catalogue declares it.

    Channel-facing topics are keyed by the channel message, the restricted contacts by reporter,
    the registry by agency; everything else by complaint id, which keeps each complaint in order.
    """
    payload = envelope.payload
    topic = topic or destinations(envelope)[0]
    if topic in (SUBMISSIONS.name, SUBMISSION_RESULTS.name):
        return f"{payload.channel}:{payload.channel_message_id}".encode()
    if topic == CONTACTS.name:
        return str(payload.reporter_ref).encode()
    if topic == REGISTRY_COMMANDS.name:
        return str(payload.agency_id).encode()
    if envelope.complaint_id is not None:
        return str(envelope.complaint_id).encode()
    return None
