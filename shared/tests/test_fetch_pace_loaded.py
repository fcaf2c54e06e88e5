"""Fetch pacing under load: a hop of the pipeline handed many records a second asks the broker to gather
several for each fetch, and asks for the first record again once the load is gone; a read model people look at
gathers more, within its longer wait."""

from __future__ import annotations

import math

import pytest

from lapor_shared import fetch_pace
from lapor_shared.fetch_pace import FetchPace, Pace, Tempo, records_in
from lapor_shared.settings import DeliverySettings, KafkaSettings
from shared.tests.test_fetch_pace import BUSY, IDLE, PEOPLE, PEOPLE_BUSY, AiokafkaConsumer, BatchSubscriber, Fetcher

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]

LOADED = Pace(50, BUSY.batch_timeout_ms, 16384)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(fetch_pace.time, "monotonic", clock)
    return clock


class GatheringFetcher(Fetcher):
    _fetch_min_bytes: int = 1


def subscriber() -> BatchSubscriber:
    return BatchSubscriber(consumer=AiokafkaConsumer(GatheringFetcher()))


def pace_of(subscriber: BatchSubscriber) -> Pace:
    """The pace ``subscriber``'s fetcher and poll were given, the minimum fetch size included."""
    fetcher = subscriber.consumer._fetcher
    assert isinstance(fetcher, GatheringFetcher)
    return Pace(fetcher._fetch_max_wait_ms, subscriber.batch_timeout_ms, fetcher._fetch_min_bytes)


def paced(tempo: Tempo = Tempo.PIPELINE) -> tuple[FetchPace, BatchSubscriber]:
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=5.0, people=PEOPLE, loaded=LOADED,
                     loaded_records_per_s=80)
    hop = subscriber()
    pace.track(hop, tempo)
    return pace, hop


def handed(pace: FetchPace, hop: BatchSubscriber, clock: Clock, per_second: int, *, seconds: float = 2.0,
           batches_a_second: int = 10) -> None:
    """``seconds`` in which ``hop`` is handed ``per_second`` records a second, in ``batches_a_second`` batches."""
    for _ in range(round(seconds * batches_a_second)):
        pace.read(hop, per_second // batches_a_second)
        clock.now += 1.0 / batches_a_second


def test_a_hop_handed_more_records_a_second_than_the_load_asks_the_broker_to_gather_them(clock):
    pace, hop = paced()

    handed(pace, hop, clock, 300)

    assert pace_of(hop) == LOADED


def test_a_hop_at_a_light_load_keeps_asking_for_the_first_record(clock):
    pace, hop = paced()

    handed(pace, hop, clock, 40, seconds=5.0)

    assert pace_of(hop) == BUSY


def test_a_loaded_hop_keeps_gathering_down_to_three_quarters_of_the_load_and_stops_below(clock):
    pace, hop = paced()
    handed(pace, hop, clock, 300)

    handed(pace, hop, clock, 70)
    still = pace_of(hop)
    handed(pace, hop, clock, 50)

    assert (still, pace_of(hop)) == (LOADED, BUSY)


def test_the_load_is_judged_over_a_whole_window_not_one_large_batch(clock):
    pace, hop = paced()
    handed(pace, hop, clock, 10, seconds=0.2)

    pace.read(hop, 40)  # 42 records in a fifth of a second, yet the window is not over
    clock.now += 0.4
    pace.read(hop, 1)  # the window closes at 0.6 s with 43 records: 72 a second

    assert pace_of(hop) == BUSY


async def test_a_loaded_hop_back_from_an_idle_spell_asks_for_the_first_record_again(clock):
    pace, hop = paced()
    handed(pace, hop, clock, 300)

    clock.now += 6.0
    await pace._round()
    idle = pace_of(hop)
    pace.read(hop)

    assert (idle, pace_of(hop)) == (IDLE, BUSY)


def test_a_subscription_people_read_gathers_only_with_a_loaded_pace_of_its_own(clock):
    pace, view = paced(Tempo.PEOPLE)

    handed(pace, view, clock, 300)

    assert pace_of(view) == BUSY  # the people's busy pace: here the pipeline's, none of its own given


def test_a_loaded_subscription_people_read_gathers_more_within_its_own_longer_wait_and_stops_below(clock):
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=5.0, people=PEOPLE, people_busy=PEOPLE_BUSY,
                     loaded=LOADED, loaded_records_per_s=80, people_loaded=Pace(0, 0, 65536))
    view = subscriber()
    pace.track(view, Tempo.PEOPLE)

    handed(pace, view, clock, 300)
    loaded = pace_of(view)
    handed(pace, view, clock, 40)

    # never a shorter wait than the people's busy one, whatever it is given
    assert loaded == Pace(PEOPLE_BUSY.fetch_max_wait_ms, PEOPLE_BUSY.batch_timeout_ms, 65536)
    assert pace_of(view) == PEOPLE_BUSY


@pytest.mark.parametrize(("loaded", "per_second"), [(BUSY, 80.0), (LOADED, math.inf)],
                         ids=["a loaded pace equal to the busy one", "no rate high enough"])
def test_gathering_is_off_with(clock, loaded, per_second):
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=5.0, loaded=loaded, loaded_records_per_s=per_second)
    hop = subscriber()
    pace.track(hop)

    handed(pace, hop, clock, 1000)

    assert pace_of(hop) == BUSY


def test_the_default_settings_gather_only_well_above_the_light_load():
    kafka, delivery = KafkaSettings(), DeliverySettings()
    pace = FetchPace.from_settings(kafka, delivery)

    assert pace.loaded == Pace(delivery.loaded_fetch_max_wait_ms, delivery.batch_timeout_ms,
                               delivery.loaded_fetch_min_bytes)
    assert pace.busy.fetch_max_wait_ms < pace.loaded.fetch_max_wait_ms < pace.idle.fetch_max_wait_ms
    assert pace.busy.fetch_min_bytes == pace.idle.fetch_min_bytes == 1 < pace.loaded.fetch_min_bytes
    # a hop reading lapor.complaints is handed about three records per complaint, 30 a second at the light load
    # (10 complaints/s): a hop loaded before stops gathering there
    assert pace.loaded_records_per_s * 3 / 4 > 30
    # a read model people look at gathers more, within the people's longer busy wait
    assert pace.people_loaded == Pace(delivery.people_busy_fetch_max_wait_ms, delivery.people_busy_batch_timeout_ms,
                                      delivery.people_loaded_fetch_min_bytes)
    assert pace.people_loaded.fetch_min_bytes > pace.loaded.fetch_min_bytes


@pytest.mark.parametrize(("raw", "records"), [((object(),) * 30, 30), ([object()] * 3, 3), (object(), 1)],
                         ids=["a batch from aiokafka", "a batch from the test broker", "a single record"])
def test_a_subscriber_counts_every_record_it_was_handed(raw, records):
    assert records_in(raw) == records


def test_on_apache_kafka_a_loaded_hop_still_holds_a_record_no_longer_than_the_loaded_wait():
    pace = FetchPace(busy=Pace(500, 100), idle=IDLE, idle_after_s=5.0, loaded=LOADED, loaded_records_per_s=80)

    assert pace.loaded == LOADED  # not raised to the busy 500 ms, which Apache Kafka holds only while nothing comes


def test_a_subscriber_it_was_never_told_of_is_counted_for_nothing(clock):
    pace, _ = paced()
    stranger = subscriber()

    handed(pace, stranger, clock, 1000)

    assert pace_of(stranger) == BUSY and not pace._load
