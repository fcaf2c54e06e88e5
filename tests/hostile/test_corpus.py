"""The corpus itself: large enough, and every entry really is refused by the codec on every topic."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from lapor_shared.events import DecodeError
from lapor_shared.events.codec import decode_record
from tests.hostile.messages import CORPUS, conflict, samples

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]


@dataclass
class Record:
    topic: str
    value: bytes | None
    key: bytes | None
    headers: list[tuple[str, bytes]]
    partition: int = 0
    offset: int = 0


def test_the_corpus_has_forty_attacks_each_with_a_line_on_what_it_attacks():
    assert len(CORPUS) >= 40
    assert len({h.name for h in CORPUS}) == len(CORPUS)
    assert all(h.attacks.strip() for h in CORPUS)


@pytest.mark.parametrize("topic", sorted(samples()))
@pytest.mark.parametrize("hostile", CORPUS, ids=[h.name for h in CORPUS])
def test_every_entry_is_refused_on_every_topic_a_service_reads(topic, hostile):
    sample = samples()[topic]
    wire = hostile.build(sample)

    with pytest.raises(DecodeError):
        decode_record(Record(topic, wire.value, wire.key, wire.headers))


@pytest.mark.parametrize("topic", sorted(samples()))
def test_a_conflict_is_a_valid_original_and_a_valid_impostor_with_the_same_event_id(topic):
    pair = conflict(samples()[topic])

    original = decode_record(Record(topic, pair.original.value, pair.original.key, pair.original.headers))
    impostor = decode_record(Record(topic, pair.impostor.value, pair.impostor.key, pair.impostor.headers))

    assert original.event_id == impostor.event_id and original != impostor
