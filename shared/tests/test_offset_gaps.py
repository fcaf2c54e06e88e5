"""A consumer never reads past a missing offset: it holds the records after it back, seeks to it and waits
for it a while; what the group moved on from, what goes backwards and a gap that lasts are read on."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from aiokafka import TopicPartition
from faststream.kafka.message import FAKE_CONSUMER

from lapor_shared import offset_gaps
from lapor_shared.offset_gaps import OffsetGaps
from lapor_shared.testing.records import Record

pytestmark = pytest.mark.unit

P0, P1 = TopicPartition("lapor.complaints", 0), TopicPartition("lapor.complaints", 1)


@dataclass(eq=False)
class Reader:
    """Stands for an aiokafka consumer: the group's committed offsets, and where it was told to seek."""

    committed_offsets: dict[TopicPartition, int] = field(default_factory=dict)
    seeks: list[tuple[int, int]] = field(default_factory=list)

    async def committed(self, tp: TopicPartition) -> int | None:
        return self.committed_offsets.get(tp)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp.partition, offset))


def records(*placed: tuple[int, int]) -> list[Record]:
    return [Record("lapor.complaints", partition, offset, b"{}") for partition, offset in placed]


def offsets(admitted: list[Record]) -> list[tuple[int, int]]:
    return [(r.partition, r.offset) for r in admitted]


@pytest.fixture(autouse=True)
def no_pause(monkeypatch):
    monkeypatch.setattr(offset_gaps, "PAUSE_S", 0.0)


async def test_records_that_follow_on_from_where_the_group_committed_are_all_admitted():
    reader, gaps = Reader({P0: 10}), OffsetGaps(2.0)

    first = await gaps.admit(reader, records((0, 10), (0, 11)))
    then = await gaps.admit(reader, records((0, 12), (1, 0)))

    assert offsets(first) == [(0, 10), (0, 11)] and offsets(then) == [(0, 12), (1, 0)]
    assert reader.seeks == [] and gaps.held_back == 0


async def test_records_after_a_missing_offset_are_held_back_and_the_consumer_seeks_to_it():
    reader, gaps = Reader({P0: 10}), OffsetGaps(2.0)
    await gaps.admit(reader, records((0, 10)))

    admitted = await gaps.admit(reader, records((0, 12), (0, 13), (1, 5)))

    assert offsets(admitted) == [(1, 5)], "the other partition goes on"
    assert reader.seeks == [(0, 11)] and gaps.held_back == 1


async def test_a_gap_inside_a_batch_admits_the_records_before_it():
    reader, gaps = Reader({P0: 10}), OffsetGaps(2.0)

    admitted = await gaps.admit(reader, records((0, 10), (0, 11), (0, 13)))

    assert offsets(admitted) == [(0, 10), (0, 11)] and reader.seeks == [(0, 12)]


async def test_once_the_missing_record_comes_it_and_those_after_it_are_admitted():
    reader, gaps = Reader({P0: 10}), OffsetGaps(2.0)
    await gaps.admit(reader, records((0, 10), (0, 12)))

    admitted = await gaps.admit(reader, records((0, 11), (0, 12), (0, 13)))

    assert offsets(admitted) == [(0, 11), (0, 12), (0, 13)] and reader.seeks == [(0, 11)]


async def test_a_first_batch_that_starts_after_the_committed_offset_is_a_gap():
    reader, gaps = Reader({P0: 10}), OffsetGaps(2.0)

    admitted = await gaps.admit(reader, records((0, 11)))

    assert admitted == [] and reader.seeks == [(0, 10)]


async def test_a_partition_the_group_committed_past_is_read_on_without_waiting():
    reader, gaps = Reader({P0: 10}), OffsetGaps(2.0)
    await gaps.admit(reader, records((0, 10)))
    reader.committed_offsets[P0] = 50  # another member read it meanwhile (a rebalance took it and gave it back)

    admitted = await gaps.admit(reader, records((0, 50), (0, 51)))

    assert offsets(admitted) == [(0, 50), (0, 51)] and reader.seeks == []


async def test_going_backwards_after_a_rewind_is_admitted():
    reader, gaps = Reader({P0: 10}), OffsetGaps(2.0)
    await gaps.admit(reader, records((0, 10), (0, 11), (0, 12)))

    admitted = await gaps.admit(reader, records((0, 11), (0, 12)))

    assert offsets(admitted) == [(0, 11), (0, 12)] and reader.seeks == []


async def test_a_gap_that_lasts_the_wait_is_read_on_and_logged_once(capsys):
    reader, gaps = Reader({P0: 10}), OffsetGaps(0.05)
    await gaps.admit(reader, records((0, 10)))
    held = await gaps.admit(reader, records((0, 12)))
    await asyncio.sleep(0.06)

    admitted = await gaps.admit(reader, records((0, 12), (0, 13)))

    assert held == [] and offsets(admitted) == [(0, 12), (0, 13)]
    assert capsys.readouterr().out.count("offset_gap_accepted") == 1


async def test_a_group_with_nothing_committed_reads_from_wherever_it_starts():
    reader, gaps = Reader(), OffsetGaps(2.0)

    admitted = await gaps.admit(reader, records((0, 7), (0, 8)))

    assert offsets(admitted) == [(0, 7), (0, 8)] and reader.seeks == []


async def test_without_a_wait_or_a_real_consumer_every_record_is_admitted():
    batch = records((0, 10), (0, 12))

    assert await OffsetGaps(0).admit(Reader({P0: 10}), batch) == batch
    assert await OffsetGaps(2.0).admit(object(), batch) == batch
    assert await OffsetGaps(2.0).admit(FAKE_CONSUMER, batch) == batch  # TestKafkaBroker's
