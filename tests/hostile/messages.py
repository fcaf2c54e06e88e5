"""The adversarial message corpus: what anyone with a Kafka client could write to a topic a service reads.

Each entry names what it attacks in one line and builds, from a valid sample of the topic (``Sample``),
the record to publish (value, key, headers). Every entry must be refused: dead-lettered once with a
reason by every consumer of the topic (or, for a submission that still names its channel message,
answered to the channel with a ``complaint.rejected``). ``CONFLICTS`` is the one attack that needs a
valid original first: the same event id with another body.

Used by ``tests/e2e/test_hostile_corpus.py`` (every topic, against the running platform) and by
``tools/chaos.py`` (sent while services are killed). One more attack needs a raw protocol writer and is
sent by the end-to-end test itself: a header *key* that is not UTF-8, which aiokafka cannot even unpack
(``lapor_shared.unreadable_records``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from lapor_shared.events import Envelope, encode, headers_of
from lapor_shared.events.commands import AcknowledgeComplaint as Acknowledge
from lapor_shared.events.commands import AdminHold, DeactivateAgency, ReplyToResponse
from lapor_shared.events.intake import ComplaintRejected, ReporterContactShared
from lapor_shared.events.values import Channel, Reason
from lapor_shared.testing import factories as f
from lapor_shared.topics import (
    ADMIN_COMMANDS,
    AGENCY_COMMANDS,
    COMPLAINTS,
    CONTACTS,
    REGISTRY_COMMANDS,
    REPORTER_COMMANDS,
    SUBMISSION_RESULTS,
    SUBMISSIONS,
    StreamFamily,
    TopicFamily,
    agency_stream,
    key_of,
)

Headers = list[tuple[str, bytes | None]]


@dataclass(frozen=True)
class Wire:
    """One Kafka record as published."""

    value: bytes | None
    key: bytes | None = None
    headers: Headers = field(default_factory=list)


@dataclass(frozen=True)
class Sample:
    """A valid envelope of a topic, and the path of one of its text fields (to poison)."""

    topic: str
    envelope: Envelope[Any]
    text_field: tuple[str | int, ...]

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(encode(self.envelope))

    @property
    def key(self) -> bytes | None:
        return key_of(self.envelope, self.topic)

    @property
    def headers(self) -> Headers:
        return [(k, v.encode()) for k, v in headers_of(self.envelope).items()]

    def wire(self, body: dict[str, Any] | bytes | None, **changes: Any) -> Wire:
        value = body if isinstance(body, bytes | type(None)) else json.dumps(body, ensure_ascii=False).encode()
        return Wire(value, changes.get("key", self.key), changes.get("headers", self.headers))


FAMILY_OWNERS = {AGENCY_COMMANDS.prefix: "umum.18.71", ADMIN_COMMANDS.prefix: "18"}
"""The one topic of each family (read by a pattern subscription) the corpus attacks: every topic of a family
reaches the same consumers the same way."""


STREAM = agency_stream("18.71", "umum.18.71")
"""The one agency stream (read by the console's pattern subscription) the corpus attacks."""


def family_topic(family: TopicFamily | StreamFamily) -> str:
    if isinstance(family, StreamFamily):
        return STREAM
    return family.topic(FAMILY_OWNERS[family.prefix])


def samples() -> dict[str, Sample]:
    """A fresh valid sample per topic that a service reads (new ids every call; one topic per family)."""
    complaint = uuid4()
    command = dict(complaint_id=complaint, tracking_number=f.tracking_number())
    return {s.topic: s for s in (
        Sample(SUBMISSIONS.name, f.submitted_envelope(), ("payload", "title")),
        Sample(SUBMISSION_RESULTS.name, Envelope.new(ComplaintRejected(
            channel=Channel.WEB, channel_message_id=f.channel_message_id(),
            reasons=[Reason(code="x", message_id="Contoh.", message_en="Sample.")]), producer="intake"),
            ("payload", "reasons", 0, "message_en")),
        Sample(COMPLAINTS.name, f.accepted_envelope(), ("payload", "title")),
        Sample(STREAM, f.routed_envelope(), ("payload", "title")),
        Sample(CONTACTS.name, f.envelope(ReporterContactShared(
            reporter_ref=uuid4(), channel=Channel.WEB, key_id="dev", ciphertext="gAAAAAB-contoh"),
            complaint_id=complaint), ("payload", "key_id")),
        Sample(family_topic(AGENCY_COMMANDS), f.envelope(Acknowledge(agency_id="umum.18.71"), **command),
               ("payload", "agency_id")),
        Sample(REPORTER_COMMANDS.name, f.envelope(ReplyToResponse(text="Terima kasih."), **command),
               ("payload", "text")),
        Sample(family_topic(ADMIN_COMMANDS),
               f.envelope(AdminHold(admin_ref="admin-18", reason="Menunggu data.", scope="18"), **command),
               ("payload", "reason")),
        Sample(REGISTRY_COMMANDS.name, f.envelope(DeactivateAgency(agency_id=f"nope.{uuid4().hex[:6]}")),
               ("payload", "reason")),
    )}


def _set(body: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    target: Any = changed
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return changed


def _without(body: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != name}


def _header(s: Sample, name: str, value: bytes | None) -> Headers:
    return [(k, value if k == name else v) for k, v in s.headers]


def _another_events_payload(s: Sample) -> dict[str, Any]:
    other = f.routed_envelope() if s.envelope.event_type != "complaint.routed" else f.accepted_envelope()
    return {**s.body, "payload": json.loads(encode(other))["payload"]}


def _wrong_topic(s: Sample) -> Wire:
    """A valid event that belongs on another topic than this one."""
    stray: Envelope[Any] = f.accepted_envelope() if s.topic != COMPLAINTS.name else f.submitted_envelope()
    if s.topic == SUBMISSION_RESULTS.name:
        stray = f.routed_envelope()
    return Wire(encode(stray), None, [(k, v.encode()) for k, v in headers_of(stray).items()])


@dataclass(frozen=True)
class Hostile:
    name: str
    attacks: str
    build: Callable[[Sample], Wire]


CORPUS: tuple[Hostile, ...] = (
    Hostile("nested-array-1e5", "the JSON parser's recursion: [ x 100,000 then ] x 100,000",
            lambda s: s.wire(b"[" * 100_000 + b"]" * 100_000)),
    Hostile("nested-object-1e4", "recursion through objects rather than arrays",
            lambda s: s.wire(b'{"a":' * 10_000 + b"1" + b"}" * 10_000)),
    Hostile("nested-payload-40", "a plausible envelope nested one level past the limit inside its payload",
            lambda s: s.wire(_set(s.body, ("payload", "deep"), json.loads("[" * 40 + "]" * 40)))),
    Hostile("value-5mb", "memory and the broker's size limits: a 5 MB JSON string",
            lambda s: s.wire(b'"' + b"A" * (5 * 1024 * 1024) + b'"')),
    Hostile("title-600kb", "a valid-looking envelope over the size limit because of one text field",
            lambda s: s.wire(_set(s.body, s.text_field, "panjang " * 80_000))),
    Hostile("invalid-utf8", "the decoder: bytes that are not UTF-8 inside a JSON string",
            lambda s: s.wire(b'{"event_type": "complaint.submitted", "title": "\xff\xfe\xc3\x28"}')),
    Hostile("raw-nul-bytes", "NUL bytes in the raw value (C strings, PostgreSQL text)",
            lambda s: s.wire(b'{"event_type"\x00: "x"}\x00\x00')),
    Hostile("escaped-nul-in-text", "a \\u0000 escape in a text field (PostgreSQL cannot store NUL)",
            lambda s: s.wire(_set(s.body, s.text_field, "Jalan\u0000rusak"))),
    Hostile("integer-5000-digits", "int() of a 5,000-digit number (Python's digit limit, CPU)",
            lambda s: s.wire(json.dumps(s.body).replace('"schema_version": 1', '"schema_version": ' + "7" * 5000)
                             .encode())),
    Hostile("nan", "NaN where a number is expected (not JSON, accepted by Python's json)",
            lambda s: s.wire(json.dumps(s.body).replace('"schema_version": 1', '"schema_version": NaN').encode())),
    Hostile("infinity", "a float that overflows to infinity",
            lambda s: s.wire(json.dumps(s.body).replace('"schema_version": 1', '"schema_version": 1e999').encode())),
    Hostile("json-string", "a valid JSON value of the wrong shape: a string",
            lambda s: s.wire(json.dumps(s.envelope.event_type).encode())),
    Hostile("json-array-of-events", "a list holding a valid event instead of the event",
            lambda s: s.wire(json.dumps([s.body]).encode())),
    Hostile("json-number", "a bare number", lambda s: s.wire(b"42")),
    Hostile("json-null", "the JSON literal null (not a tombstone)", lambda s: s.wire(b"null")),
    Hostile("json-true", "a bare boolean", lambda s: s.wire(b"true")),
    Hostile("empty-value", "a zero-length value", lambda s: s.wire(b"")),
    Hostile("tombstone", "a null value (a compaction tombstone)", lambda s: s.wire(None)),
    Hostile("whitespace", "only blanks", lambda s: s.wire(b" \n\t ")),
    Hostile("truncated", "a valid event cut in half",
            lambda s: s.wire(encode(s.envelope)[: len(encode(s.envelope)) // 2])),
    Hostile("utf8-bom", "a byte-order mark before the JSON", lambda s: s.wire(b"\xef\xbb\xbf" + encode(s.envelope))),
    Hostile("another-events-payload", "an envelope whose payload is another event's",
            lambda s: s.wire(_another_events_payload(s))),
    Hostile("unknown-event-type", "an event type nobody defined",
            lambda s: s.wire(s.body | {"event_type": "complaint.teleported"})),
    Hostile("future-schema-version", "a known type at a schema version no service reads yet",
            lambda s: s.wire(s.body | {"schema_version": 99})),
    Hostile("boolean-schema-version", "true where the version number goes (a bool is an int in Python)",
            lambda s: s.wire(s.body | {"schema_version": True})),
    Hostile("missing-event-id", "no event id: a random default would defeat deduplication",
            lambda s: s.wire(_without(s.body, "event_id"))),
    Hostile("event-id-not-uuid", "an event id that is not a UUID (SQL in it)",
            lambda s: s.wire(s.body | {"event_id": "1'; DROP TABLE inbox; --"})),
    Hostile("payload-null", "a null payload", lambda s: s.wire(s.body | {"payload": None})),
    Hostile("occurred-at-naive", "a time without a zone",
            lambda s: s.wire(s.body | {"occurred_at": "2026-12-01T10:00:00"})),
    Hostile("occurred-at-garbage", "a time that is no time",
            lambda s: s.wire(s.body | {"occurred_at": "kemarin sore"})),
    Hostile("jurisdiction-unknown", "a jurisdiction code that names no region (and so no topic)",
            lambda s: s.wire(s.body | {"jurisdiction_code": "99.99"})),
    Hostile("jurisdiction-traversal", "a jurisdiction code shaped like a path",
            lambda s: s.wire(s.body | {"jurisdiction_code": "../../ID"})),
    Hostile("duplicate-key", "event_type given twice: two readers could see two types",
            lambda s: s.wire(encode(s.envelope).replace(
                b'"event_type":', b'"event_type":"complaint.closed","event_type":', 1))),
    Hostile("control-characters", "an escape sequence and a bell in a text field (terminals, logs)",
            lambda s: s.wire(_set(s.body, s.text_field, "Jalan \u001b[2J rusak \u0007"))),
    Hostile("right-to-left-override", "U+202E in a text field: shows something other than it says",
            lambda s: s.wire(_set(s.body, s.text_field, "LPR-ABCD-\u202eGFEDC"))),
    Hostile("lone-surrogate", "a lone UTF-16 surrogate escape (no valid text holds one)",
            lambda s: s.wire(json.dumps(_set(s.body, s.text_field, "@@SURROGATE@@"))
                             .replace("@@SURROGATE@@", "\\ud800").encode())),
    Hostile("header-names-another-type", "a valid body under a header naming another event type",
            lambda s: s.wire(s.body, headers=_header(s, "event_type", b"complaint.closed"))),
    Hostile("header-event-id-differs", "a header event id that is not the body's",
            lambda s: s.wire(s.body, headers=_header(s, "event_id", str(uuid4()).encode()))),
    Hostile("header-binary-garbage", "a header value of invalid bytes where the version goes",
            lambda s: s.wire(s.body, headers=_header(s, "schema_version", b"\xff\x00\xfe"))),
    Hostile("header-null-value", "a null header value (FastStream decoded every header and failed)",
            lambda s: s.wire(s.body, headers=_header(s, "event_type", None))),
    Hostile("header-twice", "the event_type header given twice",
            lambda s: s.wire(s.body, headers=[*s.headers, ("event_type", s.envelope.event_type.encode())])),
    Hostile("key-mismatch", "a key that does not match the body (breaks per-key order)",
            lambda s: s.wire(s.body, key=b"not-the-key-" + uuid4().hex.encode())),
    Hostile("wrong-topic", "a valid event published to a topic it does not belong on", _wrong_topic),
)


@dataclass(frozen=True)
class Conflict:
    """The same event id with another body: ``original`` is valid and processed first."""

    original: Wire
    impostor: Wire


def conflict(s: Sample) -> Conflict:
    """A valid original of the sample, and an impostor with its event id and another text."""
    impostor = _set(s.body, s.text_field, "diganti oleh orang lain")
    return Conflict(s.wire(s.body), s.wire(impostor))

