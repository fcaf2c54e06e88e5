"""How the gateway learns intake's answers: every answer on the results topic is recorded in its own table,
once, whether or not the submission's row is there yet."""

from __future__ import annotations

import uuid

import pytest

from lapor_gateway import repository as repo
from lapor_shared.events import Envelope
from lapor_shared.events.intake import ComplaintRejected
from lapor_shared.events.values import Channel, Reason
from lapor_shared.testing.factories import submission_accepted, submission_accepted_envelope
from lapor_shared.topics import DEAD_LETTER, SUBMISSION_RESULTS

from .conftest import SMS_SECRET, complaint_body, unique_phone, valid_tracking_number

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def pending(a, message_id: str, channel: str = "web") -> None:
    await repo.insert_submission(a.runtime.pool, channel=channel, channel_message_id=message_id, source="api",
                                 poll_token=uuid.uuid4().hex, fingerprint="-")
    await repo.mark_published(a.runtime.pool, channel, message_id)


def accepted(message_id: str, channel: Channel = Channel.WEB, number: str | None = None) -> Envelope:
    return submission_accepted_envelope(submission_accepted(channel=channel, channel_message_id=message_id,
                                                            tracking_number=number or valid_tracking_number()))


def rejected(message_id: str, channel: str = "web", code: str = "rate_limited") -> Envelope:
    reason = Reason(code=code, field=None, message_id="Terlalu sering.", message_en="Too often.")
    return Envelope.new(ComplaintRejected(channel=channel, channel_message_id=message_id, reasons=[reason]),
                        producer="intake")


async def test_an_answer_on_the_results_topic_settles_the_submission_it_names(adapters):
    async with adapters(intake=False) as a:
        message_id = f"web-{uuid.uuid4()}"
        await pending(a, message_id)
        answer = accepted(message_id)

        await a.answer(answer)
        outcome = await repo.get_submission(a.runtime.pool, "web", message_id)

        assert (outcome["outcome"], outcome["tracking_number"]) == ("accepted", answer.tracking_number)
        assert outcome["complaint_id"] == answer.complaint_id


async def test_a_rejection_on_the_results_topic_keeps_its_reasons(adapters):
    async with adapters(intake=False) as a:
        message_id = f"web-{uuid.uuid4()}"
        await pending(a, message_id)
        answer = rejected(message_id)

        await a.answer(answer)
        outcome = await repo.get_submission(a.runtime.pool, "web", message_id)

        assert outcome["outcome"] == "rejected"
        assert outcome["reasons"] == [answer.payload.reasons[0].model_dump()]


async def test_an_answer_that_arrives_before_the_submissions_row_settles_the_submission_at_once(adapters):
    async with adapters(intake=False, wait_s=5) as a:
        key = str(uuid.uuid4())
        answer = accepted(key)
        await a.answer(answer)  # e.g. a publish that timed out but reached intake, then the client's retry

        response = await a.http.post("/api/v1/complaints", json=complaint_body(), headers={"Idempotency-Key": key})

        assert response.status_code == 201, response.text
        assert response.json()["tracking_number"] == answer.tracking_number


async def test_an_sms_whose_answer_came_first_still_gets_its_reply(adapters):
    async with adapters(intake=False, wait_s=0) as a:
        message_id = f"sms-{uuid.uuid4()}"
        answer = accepted(message_id, channel=Channel.SMS)
        await a.answer(answer)

        response = await a.http.post("/sms/inbound", headers={"X-Lapor-Sms-Secret": SMS_SECRET}, data={
            "from": unique_phone(), "message_id": message_id,
            "text": "Lampu jalan di Jl. Kartini mati sudah tiga malam, mohon diperbaiki."})
        replies = (await a.http.get("/sms/outbox", headers={"X-Lapor-Sms-Secret": SMS_SECRET})).json()["messages"]

        assert response.json()["tracking_number"] == answer.tracking_number
        assert [(r["in_reply_to"], r["kind"]) for r in replies] == [(message_id, "accepted")]
        assert answer.tracking_number in replies[0]["body"]


async def test_every_answer_is_kept_even_to_a_message_the_gateway_did_not_publish(adapters):
    async with adapters(intake=False) as a:
        foreign = accepted(f"app-{uuid.uuid4()}", channel=Channel.MOBILE)

        await a.answer(foreign)

        assert await a.count("SELECT count(*) FROM answers WHERE channel_message_id = $1",
                             foreign.payload.channel_message_id) == 1
        assert await a.count("SELECT count(*) FROM submissions") == 0


async def test_an_acceptance_replaces_a_rejection_and_nothing_replaces_an_acceptance(adapters):
    async with adapters(intake=False) as a:
        message_id = f"web-{uuid.uuid4()}"
        await pending(a, message_id)
        acceptance = accepted(message_id)

        await a.answer(rejected(message_id))
        await a.answer(acceptance)
        await a.answer(rejected(message_id, code="duplicate"))
        outcome = await repo.get_submission(a.runtime.pool, "web", message_id)

        assert (outcome["outcome"], outcome["tracking_number"]) == ("accepted", acceptance.tracking_number)


async def test_a_redelivered_answer_is_processed_once(adapters):
    async with adapters(intake=False) as a:
        message_id = f"web-{uuid.uuid4()}"
        await pending(a, message_id)
        answer = accepted(message_id)

        for _ in range(3):
            await a.answer(answer)
        consumer = next(c for c in a.runtime.consumers if c.name == "gateway.results")

        assert (consumer.processed, consumer.duplicates) == (1, 2)


async def test_an_unreadable_result_is_dead_lettered_once_by_the_results_consumer(adapters):
    async with adapters(intake=False) as a:
        for body in (b"not json", b"not json", b'{"event_type": "x", "schema_version": 1}'):
            await a.broker.publish(body, topic=SUBMISSION_RESULTS.name)
        letters = await a.runtime.pool.fetch("SELECT headers FROM outbox WHERE topic = $1", DEAD_LETTER.name)

    assert len(letters) == 2  # the in-memory broker gives both copies the same offset: one message, once
    assert {letter["headers"]["dlq_consumer"] for letter in letters} == {"gateway.results"}
