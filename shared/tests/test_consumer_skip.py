"""Skipping before decoding (issue 17): a record whose ``event_type`` header names another consumer's event
is passed over unread; a record whose header says nothing trustworthy is decoded in full, as before."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from lapor_shared.consumer import Consumer, Tx
from lapor_shared.events import Envelope
from lapor_shared.events.codec import declared_event_type
from lapor_shared.events.lifecycle import ComplaintReopened
from lapor_shared.settings import DeliverySettings
from lapor_shared.testing import factories as f
from lapor_shared.testing.records import batch, delivered, record
from lapor_shared.topics import (
    ADMIN_COMMANDS,
    AGENCY_COMMANDS,
    COMPLAINTS,
    DEAD_LETTER,
    SUBMISSIONS,
    jurisdiction_topic,
)

pytestmark = [pytest.mark.timeout(30, func_only=True)]

GARBAGE = b'{"not": "an event'


class Handled:
    def __init__(self) -> None:
        self.events: list[Envelope[Any]] = []

    async def __call__(self, tx: Tx, envelope: Envelope[Any]) -> None:
        self.events.append(envelope)


def consumer_of(pool: asyncpg.Pool, delivery: DeliverySettings, handler: Handled) -> Consumer:
    return Consumer("svc.skip", lambda: pool, producer="svc", handlers={ComplaintReopened: handler},
                    settings=delivery)


def reopened() -> Envelope[ComplaintReopened]:
    return f.envelope(ComplaintReopened(by="pelapor"), complaint_id=f.accepted_envelope().complaint_id)


async def dead_letters(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM outbox WHERE topic = $1", DEAD_LETTER.name))


# --- what a header declares ----------------------------------------------------------------------------


@pytest.mark.unit
def test_a_header_naming_an_event_of_the_topic_declares_it_without_reading_the_body():
    assert declared_event_type(record(GARBAGE, headers=[("event_type", b"complaint.accepted")])) == "complaint.accepted"


@pytest.mark.unit
def test_a_complaint_event_is_declared_on_any_jurisdiction_topic():
    on = jurisdiction_topic("18.71")
    assert declared_event_type(record(GARBAGE, topic=on, headers=[("event_type", b"complaint.routed")])) \
        == "complaint.routed"


@pytest.mark.unit
@pytest.mark.parametrize("headers", [
    [],
    [("event_type", b"")],
    [("event_type", b"complaint.nonexistent")],
    [("event_type", b"\xff\xfe")],
    [("event_type", b"complaint.accepted"), ("event_type", b"complaint.accepted")],
    [("event_type", b"complaint.submitted")],  # an event of another topic
], ids=["none", "empty", "unknown", "not-utf8", "twice", "wrong-topic"])
def test_a_header_that_is_missing_unknown_doubled_or_off_topic_declares_nothing(headers):
    assert declared_event_type(record(GARBAGE, topic=COMPLAINTS.name, headers=headers)) is None


@pytest.mark.unit
def test_a_command_is_declared_on_any_topic_of_its_senders_family_and_on_no_other():
    agency_topic, admin_topic = AGENCY_COMMANDS.topic("pu.18.71"), ADMIN_COMMANDS.topic("18")
    acknowledge, hold = [("event_type", b"agency.acknowledge")], [("event_type", b"admin.hold")]

    assert declared_event_type(record(GARBAGE, topic=agency_topic, headers=acknowledge)) == "agency.acknowledge"
    assert declared_event_type(record(GARBAGE, topic=admin_topic, headers=hold)) == "admin.hold"
    assert declared_event_type(record(GARBAGE, topic=admin_topic, headers=acknowledge)) is None
    assert declared_event_type(record(GARBAGE, topic=COMPLAINTS.name, headers=acknowledge)) is None


def test_a_submission_is_declared_on_the_submissions_topic():
    submission = record(GARBAGE, topic=SUBMISSIONS.name, headers=[("event_type", b"complaint.submitted")])
    assert declared_event_type(submission) == "complaint.submitted"


# --- what the consumer does with it --------------------------------------------------------------------


@pytest.mark.integration
async def test_a_record_declaring_an_event_this_consumer_does_not_handle_is_skipped_unread(pool, delivery):
    handler = Handled()
    consumer = consumer_of(pool, delivery, handler)

    await consumer.handle(delivered(GARBAGE, headers=[("event_type", b"complaint.accepted")]))

    assert handler.events == [] and await dead_letters(pool) == 0
    assert (consumer.processed, consumer.duplicates, consumer.dead_lettered) == (0, 0, 0)


@pytest.mark.integration
async def test_a_record_declaring_an_event_this_consumer_handles_is_decoded_and_dead_lettered_if_it_lies(
    pool, delivery
):
    consumer = consumer_of(pool, delivery, Handled())

    await consumer.handle(delivered(GARBAGE, headers=[("event_type", b"complaint.reopened")]))

    assert consumer.dead_lettered == 1 and await dead_letters(pool) == 1


@pytest.mark.integration
async def test_a_record_with_an_untrustworthy_header_is_decoded_in_full_and_dead_lettered(pool, delivery):
    consumer = consumer_of(pool, delivery, Handled())

    await consumer.handle(delivered(GARBAGE, headers=[("event_type", b"complaint.submitted")]))  # off its topic

    assert consumer.dead_lettered == 1 and await dead_letters(pool) == 1


@pytest.mark.integration
async def test_a_batch_skips_other_consumers_events_and_handles_its_own(pool, delivery):
    handler = Handled()
    consumer = consumer_of(pool, delivery, handler)
    mine = reopened()

    await consumer.handle(batch(record(f.accepted_envelope()), record(mine), record(f.accepted_envelope())))

    assert [e.event_id for e in handler.events] == [mine.event_id]
    assert (consumer.processed, consumer.dead_lettered) == (1, 0)
