"""The consumer: decode → inbox → effect → outbox in one transaction; duplicates skipped; failures
retried with backoff and then dead-lettered (without the reporter's identity); database outages waited out."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from lapor_shared.consumer import Consumer, Handler, Tx, claim, redact_body
from lapor_shared.events import Envelope, Payload, decode, encode, headers_of
from lapor_shared.events.intake import ComplaintSubmitted
from lapor_shared.events.lifecycle import ComplaintAcknowledged, ComplaintReopened
from lapor_shared.outbox import Outbox
from lapor_shared.settings import DeliverySettings
from lapor_shared.testing import factories as f
from lapor_shared.testing.records import delivered
from lapor_shared.topics import COMPLAINTS, DEAD_LETTER, SUBMISSIONS

pytestmark = [pytest.mark.timeout(30, func_only=True)]

CONSUMER = "svc.complaints"


def reopened(**envelope_fields: Any) -> Envelope[ComplaintReopened]:
    """An incoming event that this test service handles (complaint id set, no jurisdiction)."""
    envelope_fields.setdefault("complaint_id", f.accepted_envelope().complaint_id)
    return f.envelope(ComplaintReopened(by="pelapor"), **envelope_fields)


class Spy:
    """A use case that counts its calls, writes an effect, emits an event, and fails as told."""

    def __init__(self, *, fail_with: list[BaseException] | None = None, fail_after_writing: bool = True) -> None:
        self.calls = 0
        self.failures = list(fail_with or [])
        self.fail_after_writing = fail_after_writing

    async def __call__(self, tx: Tx, envelope: Envelope[Any]) -> None:
        self.calls += 1
        if self.failures and not self.fail_after_writing:
            raise self.failures.pop(0)
        await tx.conn.execute("INSERT INTO effects (event_id, note) VALUES ($1, 'handled')", envelope.event_id)
        await tx.emit(ComplaintAcknowledged(agency_id="umum.18.71"))
        if self.failures:
            raise self.failures.pop(0)


def consumer_of(pool: asyncpg.Pool, settings: DeliverySettings, handlers: dict[type[Payload], Handler],
                **kwargs: Any) -> Consumer:
    return Consumer(CONSUMER, lambda: pool, producer="svc", handlers=handlers, settings=settings, **kwargs)


async def effects(pool: asyncpg.Pool) -> list[UUID]:
    return [r["event_id"] for r in await pool.fetch("SELECT event_id FROM effects")]


async def inbox(pool: asyncpg.Pool) -> list[tuple[str, str]]:
    return [(r["consumer"], r["message_id"]) for r in await pool.fetch("SELECT consumer, message_id FROM inbox")]


async def outbox_rows(pool: asyncpg.Pool, *, dead_letters: bool) -> list[asyncpg.Record]:
    op = "=" if dead_letters else "<>"
    return await pool.fetch(f"SELECT * FROM outbox WHERE topic {op} $1 ORDER BY id", DEAD_LETTER.name)


# --- the happy path and redelivery --------------------------------------------------------------------


@pytest.mark.integration
async def test_a_handlers_effect_its_emitted_event_and_the_inbox_row_commit_together(pool, delivery):
    handler = Spy()
    consumer = consumer_of(pool, delivery, {ComplaintReopened: handler})
    incoming = reopened()

    await consumer.handle(delivered(incoming))

    assert await effects(pool) == [incoming.event_id]
    assert await inbox(pool) == [(CONSUMER, str(incoming.event_id))]
    [row] = await outbox_rows(pool, dead_letters=False)
    emitted = decode(bytes(row["payload"]))
    assert isinstance(emitted.payload, ComplaintAcknowledged)
    assert (emitted.causation_id, emitted.correlation_id) == (incoming.event_id, incoming.correlation_id)
    assert emitted.complaint_id == incoming.complaint_id and emitted.producer == "svc"
    assert row["topic"] == COMPLAINTS.name and row["event_id"] == emitted.event_id
    assert (consumer.processed, consumer.duplicates, consumer.dead_lettered) == (1, 0, 0)


@pytest.mark.integration
async def test_the_same_event_delivered_twice_runs_the_handler_once(pool, delivery):
    handler = Spy()
    consumer = consumer_of(pool, delivery, {ComplaintReopened: handler})
    incoming = reopened()

    await consumer.handle(delivered(incoming))
    await consumer.handle(delivered(incoming))  # redelivered, at a later offset

    assert handler.calls == 1
    assert (consumer.processed, consumer.duplicates) == (1, 1)
    assert await effects(pool) == [incoming.event_id]
    assert len(await outbox_rows(pool, dead_letters=False)) == 1


@pytest.mark.integration
async def test_an_event_without_a_handler_here_is_left_alone(pool, delivery):
    consumer = consumer_of(pool, delivery, {ComplaintReopened: Spy()})

    await consumer.handle(delivered(f.accepted_envelope()))  # another service's business on a shared topic

    assert await inbox(pool) == []
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    assert (consumer.processed, consumer.duplicates, consumer.dead_lettered) == (0, 0, 0)


@pytest.mark.integration
async def test_claim_records_a_message_once_per_consumer(pool):
    async with pool.acquire() as conn:
        assert await claim(conn, CONSUMER, "m-1") is True
        assert await claim(conn, CONSUMER, "m-1") is False
        assert await claim(conn, "svc.other", "m-1") is True  # each consumer has its own inbox


# --- failures -----------------------------------------------------------------------------------------


@pytest.mark.integration
async def test_a_failing_handler_is_retried_with_growing_backoff_then_dead_lettered_with_reason_and_headers(
    pool, delivery, delivery_logs
):
    handler = Spy(fail_with=[ValueError("instansi tidak dikenal")] * 10)
    consumer = consumer_of(pool, delivery, {ComplaintReopened: handler})
    incoming = reopened()

    await consumer.handle(delivered(incoming, partition=4, offset=41))

    assert handler.calls == delivery.handler_max_attempts == 3
    [retry] = [e for e in delivery_logs if e["event"] == "handler_failed_retrying"]  # logged once, not per try
    assert delivery.retry_initial_backoff_s / 2 <= retry["retry_in_s"] <= delivery.retry_initial_backoff_s
    assert [e["event"] for e in delivery_logs if e["log_level"] in ("warning", "error")] == [
        "handler_failed_retrying", "handler_failed_dead_lettering", "message_dead_lettered",
    ]
    [letter] = await outbox_rows(pool, dead_letters=True)
    assert letter["key"] == b"lapor.complaints:4:41"
    headers = letter["headers"]
    assert headers["dlq_reason"] == "handler failed 3 times: ValueError: instansi tidak dikenal"
    assert headers["dlq_consumer"] == CONSUMER
    assert (headers["dlq_source_topic"], headers["dlq_source_partition"], headers["dlq_source_offset"]) == (
        COMPLAINTS.name, "4", "41",
    )
    assert headers_of(incoming).items() <= headers.items()  # the original headers are kept
    assert decode(bytes(letter["payload"])) == incoming
    assert await inbox(pool) == [(CONSUMER, str(incoming.event_id))]
    assert (consumer.processed, consumer.dead_lettered) == (0, 1)


@pytest.mark.integration
async def test_a_failed_handlers_half_done_effects_and_events_are_rolled_back(pool, delivery):
    consumer = consumer_of(pool, delivery, {ComplaintReopened: Spy(fail_with=[RuntimeError("boom")] * 10)})

    await consumer.handle(delivered(reopened()))

    assert await effects(pool) == []
    assert await outbox_rows(pool, dead_letters=False) == []  # the emitted event never leaves
    assert len(await outbox_rows(pool, dead_letters=True)) == 1


@pytest.mark.integration
async def test_a_dead_lettered_event_redelivered_is_not_handled_again(pool, delivery):
    handler = Spy(fail_with=[RuntimeError("boom")] * 10)
    consumer = consumer_of(pool, delivery, {ComplaintReopened: handler})
    incoming = reopened()

    await consumer.handle(delivered(incoming))
    await consumer.handle(delivered(incoming))

    assert handler.calls == delivery.handler_max_attempts
    assert consumer.duplicates == 1
    assert len(await outbox_rows(pool, dead_letters=True)) == 1


class OutboxLosingTheDatabaseOnce(Outbox):
    """The first dead letter write fails as if the database connection dropped mid-transaction."""

    def __init__(self) -> None:
        self.raw_attempts = 0

    async def add_raw(self, conn, **kwargs: Any) -> None:
        self.raw_attempts += 1
        if self.raw_attempts == 1:
            raise asyncpg.PostgresConnectionError("connection lost")
        await super().add_raw(conn, **kwargs)


@pytest.mark.integration
async def test_the_dead_letter_and_its_inbox_row_commit_together(pool, delivery):
    # had the inbox claim committed without the dead letter, the retry would skip writing it
    outbox = OutboxLosingTheDatabaseOnce()
    consumer = consumer_of(pool, delivery, {ComplaintReopened: Spy(fail_with=[RuntimeError("boom")] * 10)},
                           outbox=outbox)
    incoming = reopened()

    await consumer.handle(delivered(incoming))

    assert outbox.raw_attempts == 2
    assert len(await outbox_rows(pool, dead_letters=True)) == 1
    assert await inbox(pool) == [(CONSUMER, str(incoming.event_id))]


@pytest.mark.integration
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{ ini bukan json", "body is not JSON"),
        (b"", "empty body"),
        (None, "empty body"),
        (b"[1, 2, 3]", "body is not a JSON object"),
        (b'{"event_type": "complaint.teleported", "schema_version": 1}', "unknown event type"),
        (b'{"event_type": "complaint.reopened", "schema_version": 1}', "event_id (a UUID string) is required"),
    ],
)
async def test_an_undecodable_message_is_dead_lettered_with_the_reason_and_the_next_one_is_processed(
    pool, delivery, body, reason
):
    handler = Spy()
    consumer = consumer_of(pool, delivery, {ComplaintReopened: handler})
    poison = delivered(body, partition=1, offset=7)
    following = reopened()

    await consumer.handle(poison)
    await consumer.handle(delivered(following, partition=1, offset=8))

    [letter] = await outbox_rows(pool, dead_letters=True)
    assert letter["headers"]["dlq_reason"].startswith(reason)
    assert letter["key"] == b"lapor.complaints:1:7"
    assert bytes(letter["payload"]) == (body or b"")
    assert handler.calls == 1 and await effects(pool) == [following.event_id]
    recorded = sorted(await inbox(pool))
    assert len(recorded) == 2 and (CONSUMER, str(following.event_id)) in recorded
    assert any(mid.startswith("lapor.complaints:1:7:") for _, mid in recorded)  # where it sat + what it held
    assert (consumer.processed, consumer.dead_lettered) == (1, 1)


@pytest.mark.integration
async def test_a_database_outage_is_waited_out_without_dead_lettering(pool, delivery):
    outage = [asyncpg.PostgresConnectionError("connection refused")] * (delivery.handler_max_attempts + 2)
    handler = Spy(fail_with=outage, fail_after_writing=False)
    consumer = consumer_of(pool, delivery, {ComplaintReopened: handler})
    incoming = reopened()

    await consumer.handle(delivered(incoming))

    assert handler.calls == len(outage) + 1  # more failures than a poison message is allowed
    assert await effects(pool) == [incoming.event_id]
    assert await outbox_rows(pool, dead_letters=True) == []
    assert (consumer.processed, consumer.dead_lettered) == (1, 0)


# --- privacy of dead letters ----------------------------------------------------------------------------

PHONE, EMAIL, NAME = "+6281298765432", "siti.aminah@example.id", "Siti Aminah"


def submission_with_contacts() -> Envelope[ComplaintSubmitted]:
    return f.submitted_envelope(f.complaint_submitted(
        reporter=f.reporter_contact(name=NAME, phone=PHONE, email=EMAIL),
        description="Lampu jalan mati. Kalau perlu hubungi saya di 0812 9876 5432 atau siti.aminah@example.id.",
    ))


@pytest.mark.integration
async def test_a_dead_lettered_submission_loses_the_reporters_contact_details(pool, delivery):
    consumer = consumer_of(pool, delivery, {ComplaintSubmitted: Spy(fail_with=[RuntimeError("boom")] * 10)})
    submission = submission_with_contacts()

    await consumer.handle(delivered(submission, topic=SUBMISSIONS.name))

    [letter] = await outbox_rows(pool, dead_letters=True)
    stored = bytes(letter["payload"]).decode() + json.dumps(letter["headers"])
    for secret in (PHONE, EMAIL, NAME, "0812 9876 5432"):
        assert secret not in stored
    body = json.loads(bytes(letter["payload"]))
    assert body["payload"]["reporter"] == "[disamarkan]"
    assert body["payload"]["title"] == submission.payload.title  # still useful to an operator
    assert body["event_id"] == str(submission.event_id)


@pytest.mark.integration
async def test_a_dead_letter_reason_quoting_contact_details_is_masked(pool, delivery):
    error = ValueError(f"duplicate key (email)=({EMAIL}), phone {PHONE}")
    consumer = consumer_of(pool, delivery, {ComplaintSubmitted: Spy(fail_with=[error] * 10)})

    await consumer.handle(delivered(submission_with_contacts(), topic=SUBMISSIONS.name))

    [letter] = await outbox_rows(pool, dead_letters=True)
    assert EMAIL not in letter["headers"]["dlq_reason"]
    assert PHONE not in letter["headers"]["dlq_reason"]


@pytest.mark.unit
def test_redact_body_masks_contacts_in_a_body_that_is_not_json():
    body = b"garbled {{ reporter: siti.aminah@example.id, 0812-9876-5432"

    assert redact_body(body) == b"garbled {{ reporter: [email-disamarkan], [telepon-disamarkan]"


@pytest.mark.unit
def test_redact_body_keeps_an_event_without_contacts_as_it_was():
    event = f.routed_envelope()

    assert decode(redact_body(encode(event))) == event
