"""Kafka plumbing: the broker factory every service uses, and idempotent topic provisioning."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from lapor_shared import batch_poll, unreadable_records
from lapor_shared.logging import get_logger
from lapor_shared.settings import KafkaSettings
from lapor_shared.topics import TopicSpec, all_topics

log = get_logger(component="kafka")
unreadable_records.install()  # a record aiokafka cannot parse is skipped, not retried forever
batch_poll.install()  # a batch subscriber does not nap after an empty poll that already waited

DEFAULT_ACK_POLICY = AckPolicy.NACK_ON_ERROR
"""Commit an offset only after the handler returned; an exception seeks back and redelivers.

Handlers never let an ordinary error escape (the consumer wrapper retries with backoff and then
dead-letters), so NACK only happens on infrastructure failure or shutdown, which is when a redelivery
is what we want. ACK_FIRST (FastStream's Kafka default) would lose the message on a crash. The services'
own subscriptions (``Runtime.subscribe``) commit at a pace instead, with the same guarantee
(``lapor_shared.commits``)."""


async def raw_body(msg: Any) -> bytes | list[bytes]:
    """Hand handlers the raw bytes: decoding is the consumer wrapper's job, so that a malformed body
    becomes a dead letter with a reason instead of a FastStream validation error (which, under
    NACK_ON_ERROR, would redeliver the same poison message forever)."""
    if isinstance(msg.body, list | tuple):  # a batch
        return [bytes(body or b"") for body in msg.body]
    return bytes(msg.body or b"")


class _TolerantBytes(bytes):
    """A header value that FastStream may decode without failing: invalid UTF-8 becomes U+FFFD."""

    def decode(self, encoding: str = "utf-8", errors: str = "replace") -> str:
        return bytes.decode(self, encoding, "replace")


async def tolerant_parser(msg: Any, original: Any) -> Any:
    """FastStream's parser decodes every header value as strict UTF-8: one header of binary garbage (or a
    null value) from any Kafka client raised before our consumer ran, and under NACK_ON_ERROR the same
    batch came back forever, stopping every partition in it. On such a record the headers are given
    tolerant values (same bytes, ``None`` as empty) and parsing is tried again; our consumer then reads
    the record, headers and all, and dead-letters it with the reason."""
    try:
        return await original(msg)
    except (UnicodeDecodeError, AttributeError):
        for record in msg if isinstance(msg, tuple | list) else (msg,):
            record.headers = tuple((name, _TolerantBytes(value or b"")) for name, value in record.headers or ())
        return await original(msg)


class LaporBroker(KafkaBroker):
    """FastStream's broker, starting its subscribers together rather than one after another, and refreshing
    a pattern subscription's view of the topics more often than its other clients do.

    Each subscriber's consumer joins its own group, and a join takes seconds (the coordinator waits for
    members); one after another, a service with four subscriptions took 24 s to consume at all after a
    restart. Joined together, the longest join is the wait.

    Metadata: a refresh that lists every topic (a pattern subscriber's, and a producer's that has not sent
    yet) is 44 kB for the 640 topics of the embedded platform and costs about 8 ms of the client's CPU and
    2 ms of the broker's. Only a pattern subscription needs it often (a newly onboarded agency's topic, read
    from the next refresh: ``pattern_metadata_max_age_ms``); every other client keeps aiokafka's default of
    five minutes (``metadata_max_age_ms``) and refreshes at once anyway on an error or a topic it does not
    know yet. At 30 s for all, those refreshes were about a point of a core of the idle platform (issue 17)."""

    def __init__(self, *args: Any, pattern_metadata_max_age_ms: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pattern_metadata_max_age_ms = pattern_metadata_max_age_ms

    def subscriber(self, *topics: Any, **kwargs: Any) -> Any:
        subscriber = super().subscriber(*topics, **kwargs)
        if kwargs.get("pattern") is not None and self.pattern_metadata_max_age_ms is not None:
            # FastStream passes these to this subscriber's AIOKafkaConsumer over the broker's own options
            subscriber._connection_args["metadata_max_age_ms"] = self.pattern_metadata_max_age_ms
        return subscriber

    async def start(self) -> None:
        await self.connect()
        await asyncio.gather(*(subscriber.start() for subscriber in self.subscribers))
        for publisher in self.publishers:
            await publisher.start()
        self.running = True


def make_broker(settings: KafkaSettings, *, client_id: str, **kwargs: Any) -> KafkaBroker:
    """A broker with the platform's producer defaults: acks from all replicas, batched sends."""
    return LaporBroker(
        settings.bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.enable_idempotence,
        security=settings.security(),
        linger_ms=2,
        metadata_max_age_ms=settings.named_metadata_max_age_ms,
        pattern_metadata_max_age_ms=settings.metadata_max_age_ms,
        allow_auto_create_topics=False,
        graceful_timeout=8.0,
        ack_policy=DEFAULT_ACK_POLICY,
        decoder=raw_body,
        parser=tolerant_parser,
        logger=logging.getLogger("faststream.lapor"),
        log_level=logging.DEBUG,  # one access line per message is too much at INFO on a national platform
        **kwargs,
    )


SUBSCRIBER_DEFAULTS: dict[str, Any] = {
    # a new consumer group starts from the beginning: nothing published before it joined is skipped
    "auto_offset_reset": "earliest",
    # a crashed member is noticed after 6 s (aiokafka's default 10 s); a service takes both from its
    # settings (``KafkaSettings.session_timeout_ms``, ``heartbeat_interval_ms``)
    "session_timeout_ms": KafkaSettings.model_fields["session_timeout_ms"].default,
    "heartbeat_interval_ms": KafkaSettings.model_fields["heartbeat_interval_ms"].default,
    # how often aiokafka's fetch routine wakes with nothing to do (default 0.2 s): it is woken anyway by
    # a fetch's answer, a consumed batch, a seek, a resume and a rebalance, so this is only its safety net
    "consumer_timeout_ms": 1000,
}


class ProvisioningFailed(RuntimeError):
    """The broker refused to create some topics; ``refused`` maps each to its error."""

    def __init__(self, refused: dict[str, str]) -> None:
        listed = "; ".join(f"{topic}: {error}" for topic, error in sorted(refused.items())[:10])
        super().__init__(f"{len(refused)} topic(s) not created: {listed}")
        self.refused = refused


async def provision_topics(
    bootstrap_servers: str, topics: Iterable[TopicSpec] | None = None, *, replication_factor: int = 1,
    client_options: dict[str, Any] | None = None,
) -> int:
    """Create every catalogued topic that does not exist yet. Safe to run again and concurrently.

    Each topic's result is read: one that already exists (another starter won the race) is fine, any other
    error (no authorisation, a replication factor the cluster cannot give, an invalid config) raises
    ``ProvisioningFailed`` naming every refused topic. Returns the number of topics created.
    """
    specs = list(topics if topics is not None else all_topics())
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="lapor-provisioner",
                                **(client_options or {}))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in specs if t.name not in existing]
        refused: dict[str, str] = {}
        for start in range(0, len(missing), 200):
            chunk = missing[start : start + 200]
            try:
                response = await admin.create_topics([
                    NewTopic(t.name, t.partitions, replication_factor,
                             topic_configs={"retention.ms": str(t.retention_ms)})
                    for t in chunk
                ])
            except TopicAlreadyExistsError:
                continue  # a whole chunk raced with another starter: the topics exist
            refused.update(_refusals(response))
        if refused:
            log.error("topics_not_provisioned", refused=len(refused), first=sorted(refused.items())[:3])
            raise ProvisioningFailed(refused)
        log.info("topics_provisioned", created=len(missing), total=len(specs))
        return len(missing)
    finally:
        await admin.close()


def _refusals(response: Any) -> dict[str, str]:
    """Topic → error of a CreateTopics response (every version: (topic, code[, message, …]))."""
    refused: dict[str, str] = {}
    for entry in response.topic_errors:
        topic, code = entry[0], entry[1]
        if code in (0, TopicAlreadyExistsError.errno):
            continue
        message = entry[2] if len(entry) > 2 and isinstance(entry[2], str) else None
        refused[topic] = f"{for_code(code).__name__}" + (f": {message}" if message else "")
    return refused
