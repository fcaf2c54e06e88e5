"""The results consumer takes a batch of intake's answers at once (``service.record_answers``): a few
statements for the whole batch, with the effect the answers would have one at a time."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

from lapor_gateway import repository as repo
from lapor_gateway import service
from lapor_shared import reporter_proof
from lapor_shared.events import Envelope
from lapor_shared.events.intake import ComplaintRejected
from lapor_shared.events.values import Channel, Reason
from lapor_shared.testing.factories import submission_accepted, submission_accepted_envelope
from lapor_shared.testing.statements import CountingConnection

from .batching import gateway_schema, txs
from .conftest import unique_phone, valid_tracking_number

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

NOTIFY = "lapor_answers_gateway"


def accepted(message_id: str, channel: Channel = Channel.WEB) -> Envelope[Any]:
    return submission_accepted_envelope(submission_accepted(channel=channel, channel_message_id=message_id,
                                                            tracking_number=valid_tracking_number()))


def rejected(message_id: str) -> Envelope[Any]:
    reason = Reason(code="rate_limited", field=None, message_id="Terlalu sering.", message_en="Too often.")
    return Envelope.new(ComplaintRejected(channel=Channel.WEB, channel_message_id=message_id, reasons=[reason]),
                        producer="intake")


async def submitted(pool: Any, message_id: str, channel: str = "web", reply_to: str | None = None) -> None:
    await repo.insert_submission(pool, channel=channel, channel_message_id=message_id,
                                 source="sms" if reply_to else "api", poll_token=uuid.uuid4().hex, fingerprint="-",
                                 reply_to=reply_to)


async def record(pool: Any, envelopes: list[Envelope[Any]], counting: bool = False) -> list[str]:
    """The answers as one batch in one transaction; the statements it took."""
    async with pool.acquire() as raw, raw.transaction():
        conn = CountingConnection(raw)
        await service.record_answers(txs(conn, envelopes), short_code="1708", notify_channel=NOTIFY)
    return conn.statements


async def test_a_batch_of_answers_settles_each_submission_and_keeps_each_reporters_proof(database_url):
    async with gateway_schema(database_url) as pool:
        ids = [f"web-{uuid.uuid4()}" for _ in range(4)]
        for message_id in ids[:3]:
            await submitted(pool, message_id)
        answers = [accepted(ids[0]), rejected(ids[1]), accepted(ids[2]), accepted(ids[3])]

        await record(pool, answers)

        outcomes = [(await repo.get_submission(pool, "web", m) or {}).get("outcome") for m in ids]
        assert outcomes == ["accepted", "rejected", "accepted", None]  # the last one is not the gateway's
        assert await pool.fetchval("SELECT count(*) FROM answers") == 4
        proofs = {r["tracking_number"]: r for r in await pool.fetch("SELECT * FROM reporter_keys")}
        for answer in (answers[0], answers[2], answers[3]):
            proof = proofs[answer.tracking_number]
            assert proof["key_verifier"] == reporter_proof.verifier(answer.payload.reporter_key)
            assert answer.payload.reporter_key.encode() not in bytes(proof["key_verifier"])
        in_view = await pool.fetch("SELECT tracking_number, title, confidential FROM complaint_view")
        assert sorted(r["tracking_number"] for r in in_view) == sorted(a.tracking_number for a in
                                                                      (answers[0], answers[2], answers[3]))
        assert all(r["title"] is None and r["confidential"] for r in in_view)  # content comes later


async def test_a_rejection_then_an_acceptance_of_one_message_in_one_batch_ends_accepted_and_not_the_reverse(
        database_url):
    async with gateway_schema(database_url) as pool:
        first, second = f"web-{uuid.uuid4()}", f"web-{uuid.uuid4()}"
        await submitted(pool, first)
        await submitted(pool, second)
        acceptance = accepted(second)

        await record(pool, [rejected(first), accepted(first), acceptance, rejected(second)])

        assert (await repo.get_submission(pool, "web", first))["outcome"] == "accepted"
        assert (await repo.get_submission(pool, "web", second))["tracking_number"] == acceptance.tracking_number


async def test_the_first_proof_of_a_complaint_stays_when_its_acceptance_comes_again(database_url):
    async with gateway_schema(database_url) as pool:
        answer = accepted(f"web-{uuid.uuid4()}")
        again = submission_accepted_envelope(answer.payload.model_copy(update={"reporter_key": reporter_proof.issue()}))

        await record(pool, [answer])
        await record(pool, [again])

        kept = await pool.fetchval("SELECT key_verifier FROM reporter_keys")
        assert kept == reporter_proof.verifier(answer.payload.reporter_key)


async def test_each_answered_submission_wakes_its_waiting_request_once_at_commit(database_url):
    async with gateway_schema(database_url) as pool, pool.acquire() as listener:
        heard: list[list[str]] = []

        def hear(*args: Any) -> None:
            heard.append(json.loads(args[3]))

        await listener.add_listener(NOTIFY, hear)
        ids = [f"web-{uuid.uuid4()}" for _ in range(3)]
        for message_id in ids[:2]:
            await submitted(pool, message_id)

        await record(pool, [accepted(m) for m in ids])
        for _ in range(100):
            if len(heard) >= 2:
                break
            await asyncio.sleep(0.02)
        await listener.remove_listener(NOTIFY, hear)

        assert sorted(heard) == sorted([["web", ids[0]], ["web", ids[1]]])


async def test_an_sms_answered_in_a_batch_gets_its_reply_with_the_key_and_its_number_is_forgotten(database_url):
    async with gateway_schema(database_url) as pool:
        sms, web = f"sms-{uuid.uuid4()}", f"web-{uuid.uuid4()}"
        phone = unique_phone()
        await submitted(pool, sms, channel="sms", reply_to=phone)
        await submitted(pool, web)
        answer = accepted(sms, channel=Channel.SMS)

        await record(pool, [accepted(web), answer])

        replies = await pool.fetch("SELECT to_phone, body FROM sms_outbox")
        assert [r["to_phone"] for r in replies] == [phone]
        assert answer.payload.reporter_key in replies[0]["body"]
        assert await pool.fetchval("SELECT reporter_key FROM answers WHERE channel_message_id = $1", sms) is None
        assert await pool.fetchval("SELECT reply_to FROM submissions WHERE channel_message_id = $1", sms) is None


@pytest.mark.parametrize("n", [3, 30])
async def test_a_batch_of_web_answers_takes_the_same_few_statements_whatever_its_size(database_url, n):
    async with gateway_schema(database_url) as pool:
        ids = [f"web-{uuid.uuid4()}" for _ in range(n)]
        for message_id in ids:
            await submitted(pool, message_id)

        statements = await record(pool, [accepted(m) if i % 3 else rejected(m) for i, m in enumerate(ids)])

        assert len(statements) == 5, statements
