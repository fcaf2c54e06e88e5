"""Offset commits at a pace: a consumer group's offsets go to the broker at most every ``commit_interval_ms``,
in the background, instead of once per batch inside the consume loop.

Under FastStream's NACK_ON_ERROR every batch ended with ``consumer.commit()``: a round trip to the group
coordinator that the loop waited for before it fetched again, and a request the broker answered for every
batch of every group. At a moderate rate (batches of a record or two) that was a commit per record per group.

What is committed is only ever what is finished: ``Consumer.handle`` says, per partition, the offset after
its last finished record (or the earliest unfinished one, where it rewound), and those explicit offsets are
committed, never the consumer's position (which may be ahead, in a batch still being handled). A commit that
fails (a rebalance took the partition, the broker is away) is dropped: the records after the last commit come
again, and the inbox turns them into duplicates that do nothing. A crash loses at most ``commit_interval_ms``
of commits, so at most that much is read twice, never anything lost or done twice. ``0`` commits after
every batch, awaited, as before.

One path reaches no handler: a batch FastStream cannot parse at all (``kafka.tolerant_parser`` exists so that
none is, by giving undecodable headers tolerant values). FastStream logs it as critical and its offsets are
committed with the next batch's; under NACK_ON_ERROR it was read again forever, stopping its partitions.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from aiokafka import TopicPartition
from aiokafka.structs import OffsetAndMetadata

from lapor_shared.logging import get_logger
from lapor_shared.retry import worth_logging

__all__ = ["PacedCommits"]

log = get_logger(component="commits")


class PacedCommits:
    """The finished offsets of every consumer of a service, committed at most every ``interval_s`` each."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._pending: dict[Any, dict[TopicPartition, int]] = {}
        self._last: dict[Any, float] = {}
        self._timers: dict[Any, asyncio.Task[None]] = {}
        self._locks: dict[Any, asyncio.Lock] = {}
        self._failures = 0
        self.commits = 0

    async def finished(self, consumer: Any, offsets: Mapping[TopicPartition, int]) -> None:
        """``offsets`` (the next offset to read, per partition) are finished on ``consumer`` (aiokafka's):
        committed now when the interval is 0, else by a timer at most ``interval_s`` after the last commit."""
        if not offsets or not hasattr(consumer, "assignment"):
            return  # nothing finished, or FastStream's stand-in consumer of TestKafkaBroker: nothing to commit to
        self._pending.setdefault(consumer, {}).update(offsets)
        if self.interval_s <= 0:
            await self._commit(consumer)
            return
        if consumer not in self._timers:
            wait = max(0.0, self._last.get(consumer, 0.0) + self.interval_s - time.monotonic())
            self._timers[consumer] = asyncio.create_task(self._later(consumer, wait))

    async def flush(self) -> None:
        """Commit everything finished so far (before the consumers stop)."""
        for timer in list(self._timers.values()):
            timer.cancel()
        await asyncio.gather(*self._timers.values(), return_exceptions=True)
        for consumer in list(self._pending):
            await self._commit(consumer)

    async def _later(self, consumer: Any, wait: float) -> None:
        try:
            await asyncio.sleep(wait)
        finally:
            self._timers.pop(consumer, None)
        await self._commit(consumer)

    async def _commit(self, consumer: Any) -> None:
        async with self._locks.setdefault(consumer, asyncio.Lock()):  # in order: a later commit never lands first
            offsets = self._pending.pop(consumer, None)
            self._last[consumer] = time.monotonic()
            if not offsets:
                return
            assigned = consumer.assignment()
            mine = {tp: OffsetAndMetadata(offset, "") for tp, offset in offsets.items() if tp in assigned}
            if not mine:
                return  # taken by a rebalance: their new owner reads from the last commit, the inbox skips repeats
            try:
                await consumer.commit(mine)
                self.commits += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._failures += 1
                if worth_logging(self._failures):
                    log.warning("offset_commit_failed_records_will_be_read_again", error=repr(exc)[:300],
                                partitions=len(mine), occurrences=self._failures)
