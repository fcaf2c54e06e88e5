"""Fetch pacing: a subscriber that reads nothing for a while gets the long waits, and the short ones back
at its next record; one without the attributes it sets is left alone."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from lapor_shared.fetch_pace import FetchPace, Pace, Tempo
from lapor_shared.settings import DeliverySettings, KafkaSettings

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]

BUSY, IDLE, PEOPLE = Pace(20, 10), Pace(250, 100), Pace(1000, 250)


@dataclass
class Fetcher:
    _fetch_max_wait_ms: int = BUSY.fetch_max_wait_ms


@dataclass
class AiokafkaConsumer:
    _fetcher: Fetcher = field(default_factory=Fetcher)


@dataclass
class BatchSubscriber:
    consumer: AiokafkaConsumer = field(default_factory=AiokafkaConsumer)
    batch_timeout_ms: int = BUSY.batch_timeout_ms

    @property
    def pace(self) -> Pace:
        return Pace(self.consumer._fetcher._fetch_max_wait_ms, self.batch_timeout_ms)


async def test_a_subscriber_quiet_for_long_enough_gets_the_idle_waits_and_a_busy_one_keeps_the_short_ones():
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=0.05)
    quiet, busy = BatchSubscriber(), BatchSubscriber()
    pace.track(quiet)
    pace.track(busy)
    await asyncio.sleep(0.06)
    pace.read(busy)

    await pace._round()

    assert (quiet.pace, busy.pace) == (IDLE, BUSY)


async def test_an_idle_subscriber_is_busy_again_at_its_next_record():
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=0.0)
    subscriber = BatchSubscriber()
    pace.track(subscriber)
    await pace._round()
    assert subscriber.pace == IDLE

    pace.read(subscriber)

    assert subscriber.pace == BUSY


async def test_idle_waits_are_never_shorter_than_busy_ones():
    pace = FetchPace(busy=Pace(500, 10), idle=IDLE, idle_after_s=0.0)  # Apache Kafka's 500 ms fetch wait
    subscriber = BatchSubscriber(consumer=AiokafkaConsumer(Fetcher(500)))
    pace.track(subscriber)

    await pace._round()

    assert subscriber.pace == Pace(500, 100)


async def test_a_subscriber_without_the_paced_attributes_is_left_alone():
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=0.0)
    stranger = object()
    pace.track(stranger)

    await pace._round()
    pace.read(stranger)  # no error, nothing to set


async def test_the_loop_runs_and_stops():
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=0.0)
    subscriber = BatchSubscriber()
    pace.track(subscriber)
    pace.start()
    await asyncio.sleep(0.05)
    await pace.stop()

    assert subscriber.pace == IDLE


async def test_a_quiet_subscription_to_commands_people_send_waits_longer_than_a_quiet_hop_of_the_pipeline():
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=0.0, people=PEOPLE)
    hop, commands = BatchSubscriber(), BatchSubscriber()
    pace.track(hop)
    pace.track(commands, Tempo.PEOPLE)

    await pace._round()

    assert (hop.pace, commands.pace) == (IDLE, PEOPLE)


async def test_a_subscription_to_commands_people_send_is_busy_again_at_its_next_command():
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=0.0, people=PEOPLE)
    commands = BatchSubscriber()
    pace.track(commands, Tempo.PEOPLE)
    await pace._round()

    pace.read(commands)

    assert commands.pace == BUSY


async def test_without_a_pace_of_their_own_peoples_subscriptions_take_the_pipelines_idle_pace():
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=0.0)
    commands = BatchSubscriber()
    pace.track(commands, Tempo.PEOPLE)

    await pace._round()

    assert commands.pace == IDLE


async def test_pacing_runs_when_only_peoples_subscriptions_have_idle_waits_longer_than_the_busy_ones():
    pace = FetchPace(busy=BUSY, idle=BUSY, idle_after_s=0.0, people=PEOPLE)
    hop, commands = BatchSubscriber(), BatchSubscriber()
    pace.track(hop)
    pace.track(commands, Tempo.PEOPLE)
    pace.start()
    await asyncio.sleep(0.05)
    await pace.stop()

    assert (hop.pace, commands.pace) == (BUSY, PEOPLE)


async def test_a_peoples_idle_pace_is_never_shorter_than_the_busy_one():
    pace = FetchPace(busy=Pace(500, 10), idle=IDLE, idle_after_s=0.0, people=Pace(300, 250))

    assert pace.idle_pace(Tempo.PEOPLE) == Pace(500, 250)


QUIET = Pace(500, 250)


async def test_a_hop_of_the_pipeline_quiet_for_longer_still_gets_the_longer_quiet_waits():
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=0.0, quiet=QUIET, quiet_after_s=0.05)
    hop = BatchSubscriber()
    pace.track(hop)
    await pace._round()
    just_idle = hop.pace
    await asyncio.sleep(0.06)

    await pace._round()

    assert (just_idle, hop.pace) == (IDLE, QUIET)


async def test_a_quiet_hop_is_busy_again_at_its_next_record_and_idle_before_quiet_after_the_next_spell():
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=0.0, quiet=QUIET, quiet_after_s=0.05)
    hop = BatchSubscriber()
    pace.track(hop)
    await asyncio.sleep(0.06)
    await pace._round()
    assert hop.pace == QUIET

    pace.read(hop)
    busy = hop.pace
    await pace._round()

    assert (busy, hop.pace) == (BUSY, IDLE)


async def test_a_long_quiet_spell_does_not_shorten_the_waits_of_peoples_subscriptions():
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=0.0, people=PEOPLE, quiet=QUIET, quiet_after_s=0.0)
    commands = BatchSubscriber()
    pace.track(commands, Tempo.PEOPLE)

    await pace._round()

    assert commands.pace == PEOPLE


def test_the_quiet_waits_are_never_shorter_than_the_idle_ones():
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=0.0, quiet=Pace(100, 500), quiet_after_s=1.0)

    assert pace.pace_after(Tempo.PIPELINE, 2.0) == Pace(250, 500)


PEOPLE_QUIET = Pace(2000, 250)


async def test_a_subscription_to_commands_people_send_quiet_for_longer_gets_the_longest_waits():
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=0.0, people=PEOPLE, quiet=QUIET, quiet_after_s=0.05,
                     people_quiet=PEOPLE_QUIET)
    commands, hop = BatchSubscriber(), BatchSubscriber()
    pace.track(commands, Tempo.PEOPLE)
    pace.track(hop)
    await pace._round()
    just_idle = commands.pace
    await asyncio.sleep(0.06)

    await pace._round()

    assert (just_idle, commands.pace, hop.pace) == (PEOPLE, PEOPLE_QUIET, QUIET)


@pytest.mark.parametrize(("people_busy", "busy_again"), [(None, BUSY), (Pace(100, 50), Pace(100, 50))],
                         ids=["the pipeline's busy pace", "a busy pace of its own"])
async def test_a_quiet_subscription_to_commands_is_busy_again_at_its_next_command(people_busy, busy_again):
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=0.0, people=PEOPLE, quiet_after_s=0.0,
                     people_quiet=PEOPLE_QUIET, people_busy=people_busy)
    commands = BatchSubscriber()
    pace.track(commands, Tempo.PEOPLE)
    await pace._round()
    assert commands.pace == PEOPLE_QUIET

    pace.read(commands)

    assert commands.pace == busy_again


def test_a_peoples_quiet_waits_are_never_shorter_than_its_idle_ones():
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=0.0, people=PEOPLE, quiet_after_s=1.0,
                     people_quiet=Pace(500, 100))

    assert pace.pace_after(Tempo.PEOPLE, 2.0) == Pace(1000, 250)


PEOPLE_BUSY = Pace(100, 50)


async def test_a_busy_subscription_of_peoples_waits_longer_than_a_busy_hop_of_the_pipeline_from_the_start():
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=60, people=PEOPLE, people_busy=PEOPLE_BUSY)
    hop, view = BatchSubscriber(), BatchSubscriber()
    pace.track(hop)
    pace.track(view, Tempo.PEOPLE)
    pace.start()
    try:
        pace.read(hop)
        pace.read(view)
        await pace._round()
        assert (hop.pace, view.pace) == (BUSY, PEOPLE_BUSY)
    finally:
        await pace.stop()


def test_a_peoples_idle_pace_is_never_shorter_than_its_busy_one():
    pace = FetchPace(busy=BUSY, idle=IDLE, idle_after_s=0.0, people=PEOPLE, people_busy=Pace(1500, 50))

    assert pace.people == Pace(1500, PEOPLE.batch_timeout_ms)


def test_the_default_settings_give_each_tempo_the_waits_they_name_rising_from_busy_to_idle_to_quiet():
    kafka, delivery = KafkaSettings(), DeliverySettings()
    pace = FetchPace.from_settings(kafka, delivery)

    # none of them raised to meet another (``_no_shorter``): each default means what it says
    assert pace.busy_pace(Tempo.PIPELINE) == Pace(kafka.fetch_max_wait_ms, delivery.batch_timeout_ms)
    assert pace.busy_pace(Tempo.PEOPLE) == Pace(delivery.people_busy_fetch_max_wait_ms,
                                                delivery.people_busy_batch_timeout_ms)
    assert pace.idle_pace(Tempo.PEOPLE) == Pace(delivery.people_idle_fetch_max_wait_ms,
                                                delivery.people_idle_batch_timeout_ms)
    assert pace.pace_after(Tempo.PEOPLE, delivery.quiet_after_s) == Pace(
        delivery.people_quiet_fetch_max_wait_ms, delivery.people_quiet_batch_timeout_ms)
    for tempo in Tempo:
        busy, idle = pace.busy_pace(tempo), pace.idle_pace(tempo)
        quiet = pace.pace_after(tempo, delivery.quiet_after_s)
        assert busy.fetch_max_wait_ms < idle.fetch_max_wait_ms < quiet.fetch_max_wait_ms
    # a busy view or command waits longer than a busy hop of the pipeline, so that on the embedded broker
    # each of its fetches brings a few records at a moderate load (issue 17, thirteenth steps)
    assert pace.busy_pace(Tempo.PEOPLE).fetch_max_wait_ms > pace.busy_pace(Tempo.PIPELINE).fetch_max_wait_ms
