"""Sending the adversarial corpus to a running platform, and knowing what must come of it.

Shared by ``tests/e2e/test_hostile_corpus.py`` (the corpus against a quiet platform) and ``tools/chaos.py``
(the corpus while services are killed): ``send_corpus`` publishes every attack to every topic a service
reads (plus the event-id conflicts and a header key aiokafka cannot unpack), ``expected_refusals`` says
which consumer must dead-letter which record (or answer it to its channel), and ``refusals_in`` reads
what the dead-letter topic says happened.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer

from lapor_intake.unreadable import salvage
from lapor_shared.events import DecodeError, decode, encode, headers_of
from lapor_shared.events.codec import declared_event_type, decode_record
from lapor_shared.events.intake import ComplaintRejected
from lapor_shared.testing.platform import SERVICES
from lapor_shared.topics import SUBMISSIONS, key_of
from tests.hostile.messages import CORPUS, Wire, conflict, family_topic, samples

Where = tuple[str, str, int, int]
"""(consumer, topic, partition, offset) of a dead letter."""


@dataclass(frozen=True)
class Sent:
    topic: str
    partition: int
    offset: int
    wire: Wire
    name: str


def readers() -> tuple[dict[str, dict[str, tuple[type, ...]]], list[tuple[str, tuple[str, ...]]]]:
    """Per topic, each consumer reading it and the payload types it handles; and every (group, topics). A
    family read by pattern stands as the one topic of it the corpus attacks."""
    by_topic: dict[str, dict[str, tuple[type, ...]]] = {}
    groups: list[tuple[str, tuple[str, ...]]] = []
    for service in SERVICES:
        runtime = importlib.import_module(f"lapor_{service}.app").build().runtime
        handled = {c.name: c.handled_types for c in runtime.consumers}
        for sub in runtime.subscriptions:
            topics = sub.topics if sub.family is None else (family_topic(sub.family),)
            groups.append((sub.group_id, topics))
            for topic in topics:
                by_topic.setdefault(topic, {})[sub.consumer] = handled[sub.consumer]
    return by_topic, groups


class Publisher:
    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self.sent: list[Sent] = []

    async def send(self, topic: str, wire: Wire, name: str) -> Sent:
        meta = await self.producer.send_and_wait(topic, wire.value, key=wire.key, headers=wire.headers)
        sent = Sent(topic, meta.partition, meta.offset, wire, name)
        self.sent.append(sent)
        return sent


def expected_refusals(sent: list[Sent], by_topic: dict[str, dict[str, tuple[type, ...]]],
                      impostors: set[tuple[str, int, int]]) -> tuple[set[tuple[str, str, int, int]], set[str]]:
    """(consumer, topic, partition, offset) of each dead letter to expect; channel message ids to be
    answered with a rejection instead. A consumer refuses what it reads; what it skips unread (a record
    whose trustworthy ``event_type`` header names another consumer's event, ``declared_event_type``) is
    refused by the consumers that handle that event."""
    letters: set[tuple[str, str, int, int]] = set()
    answered: set[str] = set()
    for s in sent:
        where = (s.topic, s.partition, s.offset)
        for consumer, handled in by_topic[s.topic].items():
            declared = declared_event_type(_Record(s))
            if s.name == "header-key-not-utf8":
                pass  # unreadable by every consumer
            elif declared is not None and declared not in {getattr(t, "event_type", None) for t in handled}:
                continue  # its header names, on its topic, an event this consumer does not handle: skipped unread
            elif where in impostors:
                probe = decode_record(_Record(s))
                if type(probe.payload) not in handled:
                    continue  # a consumer that does not handle the type never recorded the original
            elif consumer == "intake.submissions":
                found = salvage(s.wire.value, source="")
                if found is not None:
                    answered.add(found.channel_message_id)
                    continue
            letters.add((consumer, *where))
    return letters, answered


@dataclass
class _Record:
    s: Sent

    def __getattr__(self, name: str) -> Any:
        return {"topic": self.s.topic, "value": self.s.wire.value, "key": self.s.wire.key,
                "headers": self.s.wire.headers, "partition": self.s.partition, "offset": self.s.offset}[name]


UNPARSABLE = textwrap.dedent("""
    import asyncio, sys
    from aiokafka import AIOKafkaProducer

    class NotUtf8(str):
        def encode(self, *args, **kwargs):
            return b"\\xff\\xfe"

    async def main(bootstrap, topic):
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        sent = await (await producer.send(topic, b"{}", headers=[(NotUtf8("k"), b"v")], partition=0))
        print(sent.offset)
        await producer.stop()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
""")


def write_unparsable(bootstrap: str, topic: str) -> int:
    """A record whose header key is not UTF-8 (aiokafka's pure-Python builder, tricked), at its offset."""
    done = subprocess.run([sys.executable, "-c", UNPARSABLE, bootstrap, topic], check=True, timeout=60,
                          capture_output=True, env={**os.environ, "AIOKAFKA_NO_EXTENSIONS": "1"})
    return int(done.stdout.decode().split()[-1])


def as_wire(envelope: Any) -> Wire:
    return Wire(encode(envelope), key_of(envelope, SUBMISSIONS.name),
                [(k, v.encode()) for k, v in headers_of(envelope).items()])


def rejected_ids(records: list[Any]) -> set[str]:
    """Channel message ids answered with a rejection (the topic also holds the corpus: read it safely)."""
    found = set()
    for r in records:
        try:
            envelope = decode(r.value)
        except DecodeError:
            continue
        if isinstance(envelope.payload, ComplaintRejected) and envelope.producer == "intake":
            found.add(envelope.payload.channel_message_id)
    return found


def refusals_in(dead: list[Any]) -> tuple[Counter[Where], list[str]]:
    """How often each (consumer, source record) was dead-lettered, and every reason given."""
    headers = [{k: (v or b"").decode("utf-8", "replace") for k, v in r.headers} for r in dead]
    counted = Counter((h["dlq_consumer"], h["dlq_source_topic"], int(h["dlq_source_partition"]),
                       int(h["dlq_source_offset"])) for h in headers if "dlq_source_topic" in h)
    return counted, [h.get("dlq_reason", "") for h in headers]


@dataclass
class Campaign:
    hostile: list[Sent]
    impostors: set[tuple[str, int, int]]
    originals: list[Sent]
    """The valid originals of the conflicts: real traffic (a submission among them becomes a complaint)."""

    def submissions(self) -> list[Any]:
        """The valid submissions the corpus sent (their reporters hear back like anyone's)."""
        return [decode(s.wire.value) for s in self.originals if s.topic == SUBMISSIONS.name]

    def expected(self, by_topic: dict[str, dict[str, tuple[type, ...]]]) -> tuple[set[Where], set[str]]:
        return expected_refusals(self.hostile, by_topic, self.impostors)


async def send_corpus(bootstrap: str, *, between: Callable[[Publisher, int], Awaitable[None]] | None = None,
                      ) -> Campaign:
    """Every conflict, every attack on every topic (``between(publisher, n)`` after the n-th attack, to
    interleave valid traffic), then the unparsable header key on every topic."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=8 * 1024 * 1024)
    await producer.start()
    publisher = Publisher(producer)
    impostors: set[tuple[str, int, int]] = set()
    try:
        for topic, sample in samples().items():
            pair = conflict(sample)
            await publisher.send(topic, pair.original, "conflict-original")
            impostor = await publisher.send(topic, pair.impostor, "conflict-impostor")
            impostors.add((impostor.topic, impostor.partition, impostor.offset))
        for n, hostile in enumerate(CORPUS):
            for topic, sample in samples().items():
                await publisher.send(topic, hostile.build(sample), hostile.name)
            if between is not None:
                await between(publisher, n)
    finally:
        await producer.stop()
    for topic in samples():  # a header key aiokafka cannot unpack, written as a raw client would
        offset = await asyncio.to_thread(write_unparsable, bootstrap, topic)
        publisher.sent.append(Sent(topic, 0, offset, Wire(None), "header-key-not-utf8"))
    refused = [s for s in publisher.sent if s.name not in ("valid", "conflict-original")]
    return Campaign(refused, impostors, [s for s in publisher.sent if s.name == "conflict-original"])
