"""A keyed record goes to the partition Kafka's default partitioner (the Java client's) gives it."""

from __future__ import annotations

import uuid

import pytest
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2
from hypothesis import given
from hypothesis import strategies as st

from lapor_shared.partitioner import KeyPartitioner, murmur2

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]


@given(st.binary(max_size=200))
def test_the_hash_is_aiokafkas_murmur2_bit_for_bit(key):
    assert murmur2(key) == aiokafka_murmur2(key)


@given(st.binary(min_size=1, max_size=80), st.integers(min_value=1, max_value=64))
def test_a_key_goes_to_the_partition_the_default_partitioner_gives(key, count):
    partitions = list(range(count))

    assert KeyPartitioner()(key, partitions, partitions) == DefaultPartitioner()(key, partitions, partitions)


def test_every_event_of_a_complaint_goes_to_one_partition_of_six():
    key = str(uuid.uuid4()).encode()
    partitioner = KeyPartitioner()

    assert len({partitioner(key, [0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5]) for _ in range(20)}) == 1


def test_a_topic_of_one_partition_takes_every_record_keyed_or_not():
    assert KeyPartitioner()(b"any key", [0], []) == 0
    assert KeyPartitioner()(None, [0], []) == 0


def test_a_record_without_a_key_goes_to_an_available_partition():
    assert KeyPartitioner()(None, [0, 1, 2], [2]) == 2
