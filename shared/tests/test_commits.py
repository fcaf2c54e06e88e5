"""Offsets are committed at a pace, only ever up to what is finished, and a lost commit loses nothing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError

from lapor_shared.commits import PacedCommits
from lapor_shared.consumer import finished_offsets
from lapor_shared.testing.records import Record

pytestmark = pytest.mark.unit

P0, P1, P2 = (TopicPartition("lapor.complaints", p) for p in range(3))


@dataclass(eq=False)  # one group is one key of the pending commits
class Group:
    """Stands for an aiokafka consumer: its assignment, and the offsets committed to the coordinator."""

    assigned: set[TopicPartition] = field(default_factory=lambda: {P0, P1, P2})
    committed: list[dict[TopicPartition, int]] = field(default_factory=list)
    refuse: bool = False

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    async def commit(self, offsets: dict[TopicPartition, Any]) -> None:
        await asyncio.sleep(0)
        if self.refuse:
            raise CommitFailedError("the group rebalanced")
        self.committed.append({tp: meta.offset for tp, meta in offsets.items()})


def _records(*placed: tuple[int, int]) -> list[Record]:
    return [Record("lapor.complaints", partition, offset, b"{}") for partition, offset in placed]


def test_a_finished_partition_commits_after_its_last_record_and_an_unfinished_one_at_its_first_unfinished():
    records = _records((0, 10), (0, 11), (1, 20), (1, 21), (1, 22))

    assert finished_offsets(records, {0, 1, 2, 3, 4}) == {P0: 12, P1: 23}
    assert finished_offsets(records, {0, 1, 2}) == {P0: 12, P1: 21}
    assert finished_offsets(records, {0, 1}) == {P0: 12, P1: 20}


async def test_without_an_interval_every_batch_is_committed_before_the_next_is_read():
    group, commits = Group(), PacedCommits(0)

    await commits.finished(group, {P0: 12})
    await commits.finished(group, {P0: 14, P1: 3})

    assert group.committed == [{P0: 12}, {P0: 14, P1: 3}]


async def test_batches_finished_within_the_interval_are_committed_together_once_it_has_passed():
    group, commits = Group(), PacedCommits(0.05)

    await commits.finished(group, {P0: 12})
    await commits.finished(group, {P0: 14, P1: 3})
    await commits.finished(group, {P2: 7})
    assert group.committed == []  # nothing waits for the broker in the consume loop

    await asyncio.sleep(0.12)
    assert group.committed == [{P0: 14, P1: 3, P2: 7}]


async def test_a_partition_taken_by_a_rebalance_is_left_to_its_new_owner():
    group, commits = Group(assigned={P1}), PacedCommits(0)

    await commits.finished(group, {P0: 12, P1: 3})

    assert group.committed == [{P1: 3}]


async def test_a_refused_commit_is_dropped_and_the_next_one_carries_the_later_offsets():
    group, commits = Group(refuse=True), PacedCommits(0)

    await commits.finished(group, {P0: 12})
    group.refuse = False
    await commits.finished(group, {P0: 14})

    assert group.committed == [{P0: 14}]


async def test_flushing_commits_what_is_finished_at_once():
    group, commits = Group(), PacedCommits(60)

    await commits.finished(group, {P0: 12})
    await asyncio.sleep(0.01)  # the first commit went at once (none before it)
    await commits.finished(group, {P0: 14})
    await commits.flush()

    assert group.committed == [{P0: 12}, {P0: 14}]


async def test_a_consumer_without_an_assignment_such_as_the_test_brokers_is_left_alone():
    class Stand:
        async def commit(self) -> None:
            raise AssertionError("never called")

    commits = PacedCommits(0.01)
    await PacedCommits(0).finished(Stand(), {P0: 1})
    await commits.finished(Stand(), {P0: 1})
    await commits.flush()

    assert commits.commits == 0
