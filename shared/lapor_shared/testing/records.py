"""Kafka records as a consumer sees them, for tests that hand messages to a ``Consumer`` directly."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition

from lapor_shared.events import Envelope, encode, headers_of
from lapor_shared.topics import COMPLAINTS, key_of

_offsets = itertools.count(100)


@dataclass
class Record:
    """What the consumer reads of an aiokafka ``ConsumerRecord``."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    key: bytes | None = None


@dataclass(eq=False)  # one consumer is one key of the offsets it expects (``lapor_shared.offset_gaps``)
class Seeks:
    """Stands for the aiokafka consumer behind a message: remembers where it was told to seek."""

    done: list[tuple[str, int, int]] = field(default_factory=list)

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.done.append((partition.topic, partition.partition, offset))


@dataclass
class Delivered:
    """A stand-in for FastStream's ``KafkaMessage``: a record, or a tuple of them from a batch subscriber."""

    raw_message: Record | tuple[Record, ...]
    consumer: Seeks = field(default_factory=Seeks)


def record(message: Envelope[Any] | bytes | None, *, topic: str = COMPLAINTS.name, partition: int = 2,
           offset: int | None = None, key: bytes | None = None,
           headers: list[tuple[str, bytes]] | None = None) -> Record:
    """An envelope as its producer publishes it (headers and key from the contract), or raw bytes."""
    if isinstance(message, Envelope):
        value: bytes | None = encode(message)
        headers = headers if headers is not None else [(k, v.encode()) for k, v in headers_of(message).items()]
        key = key if key is not None else key_of(message, topic)
    else:
        value = message
    return Record(topic, partition, next(_offsets) if offset is None else offset, value, headers or [], key)


def delivered(message: Envelope[Any] | bytes | None, **fields: Any) -> Delivered:
    return Delivered(record(message, **fields))


def batch(*records: Record) -> Delivered:
    return Delivered(tuple(records))
