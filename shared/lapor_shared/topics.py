"""The topic catalogue: every topic, its key, partitions, retention, writers and readers, in one place.

Longer than ~300 lines on purpose: the catalogue and the one routing rule (``destinations``) belong
together, so that every topic and where each event goes can be read in one place.

Jurisdiction-facing topics form a tree of prefixes: ``lapor.jurisdiction.ID`` (national bodies),
``lapor.jurisdiction.ID.18`` (Lampung province), ``lapor.jurisdiction.ID.18.71`` (Kota Bandar Lampung).
A Kafka prefix ACL on ``lapor.jurisdiction.ID.18`` therefore covers the province and all its regencies
and cities, and ``lapor.jurisdiction.ID`` covers the nation. Below each node hang the streams of its
onboarded agencies (``lapor.jurisdiction.ID.18.71.agency.dinkes.18.71``: that agency's complaints, whole)
and, at the nation and the provinces, the triage desk's (``lapor.jurisdiction.ID.18.triage``); the node's
own topic is shared by everyone granted it and shows a rahasia complaint without its content
(``lapor_shared.views``).

Agencies and admins write commands to topics of their own (``lapor.commands.agency.<agency id>``,
``lapor.commands.admin.<code>``), each writable by its owner's Kafka user only: the topic a command
arrives on says who sent it (``lapor_shared.binding``). Who is onboarded, and so which of these topics
exist, is ``lapor_shared.onboarding``'s file; who may read and write what is ``lapor_shared.access``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from lapor_shared import onboarding
from lapor_shared.events.envelope import Envelope
from lapor_shared.events.values import NATIONAL_CODE
from lapor_shared.onboarding import Onboarding
from lapor_shared.regions import all_regions, is_known

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
    ("intake", "routing", "followup"), ("intake", "routing", "followup", "notify", "dashboard", "gateway"),
    "every complaint's lifecycle, in order per complaint; the platform's own stream",
)
CONTACTS = TopicSpec(
    "lapor.restricted.contacts", 6, "reporter_ref", 7 * DAY_MS, "restricted",
    ("intake",), ("notify",),
    "reporter.contact_shared / contact_erased, encrypted for notify alone; no other reader is ever granted;"
    " short retention so an erased reporter's ciphertext ages out",
)
REPORTER_COMMANDS = TopicSpec(
    "lapor.commands.reporter", 6, "complaint_id", 30 * DAY_MS, "channel",
    ("gateway", "channel adapters"), ("followup",),
    "reporter.reply / rate / reopen, published by a channel only after it checked the reporter's proof (key or"
    " SMS number)",
)
REGISTRY_COMMANDS = TopicSpec(
    "lapor.commands.registry", 1, "agency_id", 365 * DAY_MS, "operations",
    ("admins", "routing"), ("routing", "admins"),
    "registry.upsert_agency / deactivate_agency: the agency registry changes at run time; routing answers"
    " each with registry.agency_changed / command_rejected on the same topic",
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
    SUBMISSIONS, SUBMISSION_RESULTS, COMPLAINTS, CONTACTS, REPORTER_COMMANDS, REGISTRY_COMMANDS, NOTIFICATIONS,
    DEAD_LETTER,
)


@dataclass(frozen=True, slots=True)
class TopicFamily:
    """One topic per owner, ``<prefix>.<owner>``: an agency's or an admin scope's command topic. Only its
    owner's Kafka user may write it (a literal ACL on the whole name: owners hold dots, ``pu.18`` is a
    prefix of ``pu.18.71``), so the topic a command arrives on names its sender. Created for the owners
    ``lapor_shared.onboarding`` lists; the services read the family by one pattern subscription."""

    prefix: str
    partitions: int
    key: str
    retention_ms: int
    audience: Audience
    writers: tuple[str, ...]
    readers: tuple[str, ...]
    description: str

    def topic(self, owner: str) -> str:
        return f"{self.prefix}.{owner}"

    def owner_of(self, topic: str) -> str | None:
        """``lapor.commands.agency.pu.18.71`` → ``pu.18.71``; None for a topic outside the family."""
        head = f"{self.prefix}."
        return (topic[len(head):] or None) if topic.startswith(head) else None

    @property
    def pattern(self) -> str:
        """Regex matching every topic of the family (the same whether matched whole or from the start)."""
        return re.escape(f"{self.prefix}.") + ".+"

    def spec(self, owner: str) -> TopicSpec:
        return TopicSpec(self.topic(owner), self.partitions, self.key, self.retention_ms, self.audience,
                         self.writers, self.readers, self.description)


AGENCY_COMMANDS = TopicFamily(
    "lapor.commands.agency", 1, "complaint_id", 30 * DAY_MS, "agency",
    ("the agency itself", "console"), ("routing", "followup"),
    "agency.acknowledge / respond / request_extension / resolve / forward, on the sender's own topic (the agency's"
    " own systems, or the officer console for its officers)"
    " lapor.commands.agency.<agency id>; a payload naming another agency is refused",
)
ADMIN_COMMANDS = TopicFamily(
    "lapor.commands.admin", 1, "complaint_id", 30 * DAY_MS, "operations",
    ("the admins of the scope",), ("routing", "followup", "intake"),
    "admin.decide_triage / hold / close / reopen and reporter.erase_contact, on the scope's own topic"
    " lapor.commands.admin.<jurisdiction code>; a complaint outside the scope is refused",
)
FAMILIES: tuple[TopicFamily, ...] = (AGENCY_COMMANDS, ADMIN_COMMANDS)

ADMIN_SIDE = frozenset({"reporter.erase_contact"})
"""Commands of another kind's name that admins send (on their scope's topic)."""

AGENCY_SEGMENT = "agency"
TRIAGE_SEGMENT = "triage"


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
    """Regex matching the shared topics of ``code`` and of every jurisdiction below it (a monitoring level's
    overview: rahasia content withheld), and none of the streams below them."""
    return re.escape(jurisdiction_topic(code)) + r"(\.\d\d)*$"


def agency_streams_pattern(code: str) -> str:
    """Regex matching the streams of the onboarded agencies at ``code`` and below (whole content)."""
    return re.escape(jurisdiction_topic(code)) + r"(\.\d\d)*\." + AGENCY_SEGMENT + r"\..+"


def agency_stream(code: str, agency_id: str) -> str:
    """The stream of one agency's complaints: ``lapor.jurisdiction.ID.18.71.agency.dinkes.18.71``.

    The segment ``agency`` is never a region code (those are digits), so a sibling's name can never be
    read as a jurisdiction, and a literal ACL on the whole name grants exactly one agency its stream."""
    return f"{jurisdiction_topic(code)}.{AGENCY_SEGMENT}.{agency_id}"


@dataclass(frozen=True, slots=True)
class StreamFamily:
    """The streams of every onboarded agency (``lapor.jurisdiction.<path>.agency.<agency id>``), read by one
    pattern subscription: the officer console serves the officers of every onboarded agency. Kafka's ACLs
    have no regular expressions, so its user reads by the prefix ``lapor.jurisdiction.``; the pattern itself
    never matches a shared jurisdiction topic (rahasia withheld) nor a triage stream."""

    prefix: str = JURISDICTION_PREFIX

    @property
    def pattern(self) -> str:
        return agency_streams_pattern(NATIONAL_CODE)

    def topics(self, onboarded: Onboarding | None = None) -> list[str]:
        onboarded = onboarded or onboarding.current()
        return [agency_stream(code, agency_id) for agency_id, code in onboarded.agencies.items()]

    @staticmethod
    def owner_of(topic: str) -> str | None:
        """``lapor.jurisdiction.ID.18.71.agency.umum.18.71`` → ``umum.18.71``; None for any other topic."""
        head, separator, agency_id = topic.partition(f".{AGENCY_SEGMENT}.")
        return agency_id or None if separator and head.startswith(JURISDICTION_PREFIX) else None


AGENCY_STREAMS = StreamFamily()


def is_triage_level(code: str) -> bool:
    """Routing decides triage at the nation or a province, never at a regency."""
    return code == NATIONAL_CODE or re.fullmatch(r"\d\d", code) is not None


def triage_stream(code: str) -> str:
    """The triage desk's stream at the nation or a province: ``lapor.jurisdiction.ID.18.triage``."""
    if not is_triage_level(code):
        raise ValueError(f"no triage desk at {code!r}: only the nation and the provinces triage")
    return f"{jurisdiction_topic(code)}.{TRIAGE_SEGMENT}"


_SHARED = re.compile(re.escape(JURISDICTION_PREFIX) + r"\.ID(\.\d\d){0,2}")


def is_shared_jurisdiction_topic(topic: str) -> bool:
    """A node's own topic (``lapor.jurisdiction.ID.18.71``), read by all its agencies and the levels above."""
    return _SHARED.fullmatch(topic) is not None


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


def onboarded_topics(onboarded: Onboarding | None = None) -> list[TopicSpec]:
    """The topics of the onboarded agencies (command topic, stream) and admin scopes (command topic, and
    the triage stream at the nation or a province)."""
    onboarded = onboarded or onboarding.current()
    specs: list[TopicSpec] = []
    for agency_id, code in onboarded.agencies.items():
        specs.append(AGENCY_COMMANDS.spec(agency_id))
        specs.append(TopicSpec(
            agency_stream(code, agency_id), JURISDICTION_PARTITIONS, "complaint_id", JURISDICTION_RETENTION_MS,
            "agency", ("routing", "followup"),
            (f"agency {agency_id}", "console", "monitoring levels and admins above it"),
            f"lifecycle of the complaints {agency_id} is responsible for, whole (rahasia content too)",
        ))
    for code in onboarded.admin_scopes:
        specs.append(ADMIN_COMMANDS.spec(code))
        if is_triage_level(code):
            specs.append(TopicSpec(
                triage_stream(code), JURISDICTION_PARTITIONS, "complaint_id", JURISDICTION_RETENTION_MS,
                "operations", ("routing", "followup"), (f"admins of {code}", "monitoring levels above it"),
                f"complaints waiting for (or decided by) the triage desk at {code}, whole",
            ))
    return specs


def onboarded_family_topics(family: TopicFamily, onboarded: Onboarding | None = None) -> list[str]:
    """The topics of ``family`` that exist: one per onboarded agency, or per onboarded admin scope."""
    onboarded = onboarded or onboarding.current()
    owners = onboarded.agencies if family is AGENCY_COMMANDS else onboarded.admin_scopes
    return [family.topic(owner) for owner in owners]


def all_topics(onboarded: Onboarding | None = None) -> list[TopicSpec]:
    return [*FIXED_TOPICS, *jurisdiction_topics(), *onboarded_topics(onboarded)]


def sender_kind(event_type: str) -> Literal["agency", "admin"] | None:
    """Whose own topic a command travels on: an agency's, an admin scope's, or neither (None)."""
    kind = event_type.split(".", 1)[0]
    if kind == "agency":
        return "agency"
    if kind == "admin" or event_type in ADMIN_SIDE:
        return "admin"
    return None


def family_of(kind: Literal["agency", "admin"]) -> TopicFamily:
    return AGENCY_COMMANDS if kind == "agency" else ADMIN_COMMANDS


def complaint_audiences(
    jurisdiction_code: str | None, agency_id: str | None, onboarded: Onboarding | None = None
) -> list[str]:
    """Besides ``lapor.complaints``, where an event about a complaint goes: the shared topic of its
    jurisdiction and, when onboarded, the responsible agency's stream (or, with no agency, the triage
    desk's stream of that level). Nothing when the event names no jurisdiction."""
    if jurisdiction_code is None:
        return []
    onboarded = onboarded or onboarding.current()
    topics = [jurisdiction_topic(jurisdiction_code)]
    if agency_id is not None:
        code = onboarded.agency_code(agency_id)
        if code is not None:
            topics.append(agency_stream(code, agency_id))
    elif is_triage_level(jurisdiction_code) and onboarded.has_admin_scope(jurisdiction_code):
        topics.append(triage_stream(jurisdiction_code))
    return topics


def destinations(envelope: Envelope[Any], onboarded: Onboarding | None = None) -> list[str]:
    """Where an event or command is published. The single rule every outbox follows.

    A command goes to its sender's own topic: an agency command to the agency's its payload names, an
    admin command (and ``reporter.erase_contact``) to the scope's its payload names. What each topic shows
    of the event is ``lapor_shared.views.shown_on``."""
    kind = envelope.event_type.split(".", 1)[0]
    sender = sender_kind(envelope.event_type)
    if sender == "agency":
        return [AGENCY_COMMANDS.topic(envelope.payload.agency_id)]
    if sender == "admin":
        scope = getattr(envelope.payload, "scope", None)
        if not scope:
            raise ValueError(f"{envelope.event_type} names no scope: its topic is lapor.commands.admin.<scope>")
        return [ADMIN_COMMANDS.topic(scope)]
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
    if kind == "reporter":
        return [REPORTER_COMMANDS.name]
    if kind == "registry":
        return [REGISTRY_COMMANDS.name]
    if kind == "complaint":
        return [COMPLAINTS.name, *complaint_audiences(envelope.jurisdiction_code, envelope.agency_id, onboarded)]
    raise ValueError(f"no destination for event type {envelope.event_type!r}")


def belongs_on(envelope: Envelope[Any], topic: str) -> bool:
    """Whether ``envelope`` may arrive on ``topic``: one of its destinations, or, for an agency or admin
    command, any topic of that family (whose owner the consumer then holds the payload to)."""
    sender = sender_kind(envelope.event_type)
    if sender is not None:
        owner = family_of(sender).owner_of(topic)
        return owner is not None and (sender == "agency" or is_known(owner))
    return topic in destinations(envelope)


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
