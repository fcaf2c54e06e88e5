"""How the adapters learn intake's answers: from the results topic, or, when missed, from intake's store."""

from __future__ import annotations

import uuid

import pytest

from lapor_intake import tracking
from lapor_intake.adapters import repository as repo
from lapor_intake.adapters.results import RESULTS_READER, ResultBoard, on_results
from lapor_intake.adapters.settings import AdapterSettings
from lapor_shared.events import Envelope, encode
from lapor_shared.events.intake import ComplaintRejected
from lapor_shared.events.values import Channel, Reason
from lapor_shared.testing.factories import accepted_envelope, complaint_accepted, submitted_envelope
from lapor_shared.testing.records import record
from lapor_shared.topics import DEAD_LETTER, SUBMISSION_RESULTS, SUBMISSIONS, key_of

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def pending(a, message_id: str, channel: str = "web") -> None:
    await repo.insert_submission(a.runtime.pool, channel=channel, channel_message_id=message_id, source="api",
                                 poll_token=uuid.uuid4().hex, fingerprint="-")
    await repo.mark_published(a.runtime.pool, channel, message_id)


async def test_an_answer_on_the_results_topic_settles_the_submission_it_names(adapters):
    async with adapters() as a:
        message_id = f"web-{uuid.uuid4()}"
        await pending(a, message_id)
        number = tracking.encode(424_242)
        answer = accepted_envelope(complaint_accepted(channel=Channel.WEB, channel_message_id=message_id),
                                   tracking_number=number)

        await a.broker.publish(encode(answer), topic=SUBMISSION_RESULTS.name)
        outcome = await a.runtime.pool.fetchrow(
            "SELECT outcome, tracking_number FROM adapter_submissions WHERE channel_message_id = $1", message_id)

        assert tuple(outcome) == ("accepted", number)  # intake's store has no such complaint: it came by the topic


async def test_a_rejection_on_the_results_topic_keeps_its_reasons(adapters):
    async with adapters() as a:
        message_id = f"web-{uuid.uuid4()}"
        await pending(a, message_id)
        reason = Reason(code="rate_limited", field=None, message_id="Terlalu sering.", message_en="Too often.")
        answer = Envelope.new(ComplaintRejected(channel="web", channel_message_id=message_id, reasons=[reason]),
                              producer="intake")

        await a.broker.publish(encode(answer), topic=SUBMISSION_RESULTS.name)
        outcome = await a.runtime.pool.fetchrow(
            "SELECT outcome, reasons FROM adapter_submissions WHERE channel_message_id = $1", message_id)

        assert outcome["outcome"] == "rejected"
        assert outcome["reasons"] == [reason.model_dump()]


async def test_an_answer_this_process_missed_is_found_in_intakes_store_by_the_sweeper(adapters):
    async with adapters() as a:
        submitted = submitted_envelope()
        message_id = submitted.payload.channel_message_id
        await a.broker.publish(encode(submitted), topic=SUBMISSIONS.name, key=key_of(submitted, SUBMISSIONS.name))
        number = await a.until(lambda: a.runtime.pool.fetchval(
            "SELECT tracking_number FROM complaints WHERE channel_message_id = $1", message_id))

        async def relayed() -> bool:
            return await a.count("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0

        await a.until(relayed)
        await pending(a, message_id)  # the adapter's record appears after the result went by

        settled = await a.until(lambda: a.runtime.pool.fetchval(
            "SELECT tracking_number FROM adapter_submissions WHERE channel_message_id = $1"
            " AND outcome = 'accepted'", message_id))

        assert settled == number


async def test_an_unreadable_result_is_dead_lettered_once_whichever_replica_reads_it(adapters):
    garbage = [record(b"not json", topic=SUBMISSION_RESULTS.name, partition=1, offset=5),
               record(b'{"event_type": "x", "schema_version": 1}', topic=SUBMISSION_RESULTS.name, offset=6)]
    async with adapters() as a:
        for _replica in range(2):  # every replica reads every result
            await on_results(a.runtime, ResultBoard(), AdapterSettings(), garbage)
        letters = await a.runtime.pool.fetch("SELECT headers FROM outbox WHERE topic = $1", DEAD_LETTER.name)

    assert sorted(letter["headers"]["dlq_source_offset"] for letter in letters) == ["5", "6"]
    assert {letter["headers"]["dlq_consumer"] for letter in letters} == {RESULTS_READER}
