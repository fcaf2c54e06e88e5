"""The whole adversarial corpus on every topic a service reads, interleaved with valid complaints, against
the running platform: every hostile message is refused once with a reason by each of its readers, every
valid complaint still reaches its notification, no service restarts, no partition stays behind, and the
logs stay short."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from lapor_dashboard.app import build_runtime as dashboard_runtime
from lapor_followup.app import build_runtime as followup_runtime
from lapor_gateway.app import build_runtime as gateway_runtime
from lapor_intake.app import build_runtime as intake_runtime
from lapor_intake.unreadable import salvage
from lapor_notify.app import build_runtime as notify_runtime
from lapor_routing.app import build_runtime as routing_runtime
from lapor_shared.events import DecodeError, decode, encode, headers_of
from lapor_shared.events.codec import decode_record
from lapor_shared.events.intake import ComplaintRejected
from lapor_shared.observe import consumer_lag
from lapor_shared.testing import factories as f
from lapor_shared.testing.kafka_io import consume, wait_for
from lapor_shared.topics import DEAD_LETTER, SUBMISSION_RESULTS, SUBMISSIONS, key_of
from tests.conftest import submission
from tests.hostile.messages import CORPUS, Wire, conflict, samples

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

LOG_LINES_PER_REFUSAL = 3
"""What a hostile message may cost in log lines, per consumer that refuses it (a line or two today)."""


@dataclass(frozen=True)
class Sent:
    topic: str
    partition: int
    offset: int
    wire: Wire
    name: str


def readers() -> tuple[dict[str, dict[str, tuple[type, ...]]], list[tuple[str, tuple[str, ...]]]]:
    """Per topic, each consumer reading it and the payload types it handles; and every (group, topics)."""
    by_topic: dict[str, dict[str, tuple[type, ...]]] = {}
    groups: list[tuple[str, tuple[str, ...]]] = []
    for build in (intake_runtime, routing_runtime, followup_runtime, notify_runtime, dashboard_runtime,
                  gateway_runtime):
        runtime = build()
        handled = {c.name: c.handled_types for c in runtime.consumers}
        for sub in runtime.subscriptions:
            groups.append((sub.group_id, sub.topics))
            for topic in sub.topics:
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
    answered with a rejection instead."""
    letters: set[tuple[str, str, int, int]] = set()
    answered: set[str] = set()
    for s in sent:
        where = (s.topic, s.partition, s.offset)
        for consumer, handled in by_topic[s.topic].items():
            if s.name == "header-key-not-utf8":
                pass  # unreadable by every consumer
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


def log_lines(platform) -> dict[str, int]:
    return {name: len(service.log_path.read_bytes().splitlines()) for name, service in platform.services.items()}


async def test_the_whole_corpus_on_every_topic_is_refused_once_and_valid_complaints_still_flow(platform):
    bootstrap = platform.bootstrap_servers
    by_topic, groups = readers()
    topic_samples = samples()
    assert set(topic_samples) == set(by_topic), "the corpus must reach every topic a service reads"
    lines_before = log_lines(platform)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=8 * 1024 * 1024)
    await producer.start()
    publisher = Publisher(producer)
    valid = [submission(reporter=f.reporter_contact()) for _ in range(12)]  # one each: rate limits per person
    impostors: set[tuple[str, int, int]] = set()
    try:
        for topic, sample in topic_samples.items():
            pair = conflict(sample)
            await publisher.send(topic, pair.original, "conflict-original")
            impostor = await publisher.send(topic, pair.impostor, "conflict-impostor")
            impostors.add((impostor.topic, impostor.partition, impostor.offset))
        waiting = list(valid)
        for n, hostile in enumerate(CORPUS):
            for topic, sample in samples().items():
                await publisher.send(topic, hostile.build(sample), hostile.name)
            if n % 3 == 0 and waiting:  # valid traffic interleaved with the corpus
                await publisher.send(SUBMISSIONS.name, as_wire(waiting.pop()), "valid")
        for envelope in waiting:
            await publisher.send(SUBMISSIONS.name, as_wire(envelope), "valid")
    finally:
        await producer.stop()
    for topic in topic_samples:  # a header key aiokafka cannot unpack, written as a raw client would
        offset = await asyncio.to_thread(write_unparsable, bootstrap, topic)
        publisher.sent.append(Sent(topic, 0, offset, Wire(None), "header-key-not-utf8"))
    hostile = [s for s in publisher.sent if s.name not in ("valid", "conflict-original")]
    letters, answered = expected_refusals(hostile, by_topic, impostors)
    started = time.monotonic()

    dead = await consume(bootstrap, topics=[DEAD_LETTER.name], until=lambda rs: len(rs) >= len(letters),
                         timeout=240)
    refused = Counter((h["dlq_consumer"], h["dlq_source_topic"], int(h["dlq_source_partition"]),
                       int(h["dlq_source_offset"])) for h in ({k: v.decode() for k, v in r.headers} for r in dead))
    reasons = [dict(r.headers)["dlq_reason"] for r in dead]
    results = await consume(bootstrap, topics=[SUBMISSION_RESULTS.name], timeout=60,
                            until=lambda rs: answered <= rejected_ids(rs))

    print(f"corpus: {len(CORPUS)} attacks x {len(topic_samples)} topics + {len(impostors)} conflicts ="
          f" {len(hostile)} hostile messages; {len(letters)} dead letters expected, {len(dead)} written;"
          f" {len(answered)} submissions answered with a rejection; {time.monotonic() - started:.1f} s")
    missing, extra = set(letters) - set(refused), set(refused) - set(letters)
    assert not missing, f"never refused: {sorted(missing)[:10]}"
    assert not extra, f"refused though valid: {sorted(extra)[:10]}"
    assert max(refused.values()) == 1, "each hostile message is dead-lettered once per consumer"
    assert all(reason.strip() for reason in reasons)
    assert answered <= rejected_ids(results)

    conn = await asyncpg.connect(platform.database_url)
    try:
        async def all_notified() -> bool:
            rows = await conn.fetch("SELECT DISTINCT c.channel_message_id FROM notify.notifications n"
                                    " JOIN intake.complaints c USING (tracking_number)")
            return {e.payload.channel_message_id for e in valid} <= {r["channel_message_id"] for r in rows}

        assert await wait_for(all_notified, timeout=90), "every valid complaint reaches its notification"
    finally:
        await conn.close()

    for name, service in platform.services.items():
        assert service.process.poll() is None and service.starts == 1, f"{name} restarted or died"

    async def caught_up() -> bool:
        lags = await asyncio.gather(*(consumer_lag(bootstrap, group, topics) for group, topics in groups))
        return all(lag == 0 for per_topic in lags for lag in per_topic.values())

    assert await wait_for(caught_up, timeout=20, interval=1.0), "a partition stayed behind after the corpus"

    lines_after = log_lines(platform)
    written = sum(lines_after[n] - lines_before[n] for n in lines_after)
    print(f"log lines during the corpus: {written} for {len(letters)} refusals and {len(valid)} valid complaints")
    assert written <= LOG_LINES_PER_REFUSAL * len(letters) + 60 * len(valid)
    assert all(len(line) < 20_000 for service in platform.services.values()
               for line in service.log_path.read_bytes().splitlines()), "no hostile body is echoed into a log"
