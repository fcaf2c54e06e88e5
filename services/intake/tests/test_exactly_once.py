"""One complaint per channel message: redelivered, re-sent, raced and restarted."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from lapor_intake import service
from lapor_intake.app import build
from lapor_intake.settings import IntakeSettings
from lapor_shared.consumer import Tx
from lapor_shared.events import Envelope
from lapor_shared.outbox import Outbox
from lapor_shared.testing.factories import complaint_submitted, submitted_envelope
from lapor_shared.testing.service import in_memory
from lapor_shared.topics import SUBMISSION_RESULTS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def resent(envelope: Envelope) -> Envelope:
    """The same channel message published again by the adapter: a new event id, the same content."""
    return submitted_envelope(envelope.payload)


async def test_a_message_redelivered_and_resent_makes_one_complaint_and_one_answer(intake):
    original = submitted_envelope()
    async with intake() as h:
        await h.submit(original, original, resent(original), original)
        await h.settle()

        assert len(await h.sql("SELECT 1 FROM complaints")) == 1
        assert len(h.results_for(original.payload.channel_message_id)) == 1
        assert len(h.messages("lapor.complaints", "complaint.accepted")) == 1
        assert len(h.messages("lapor.restricted.contacts", "reporter.contact_shared")) == 1


async def test_a_message_resent_after_a_restart_makes_no_second_complaint(intake):
    original = submitted_envelope()
    async with intake() as h:
        await h.submit(original)
        await h.answered(original)
    async with intake() as h:
        await h.submit(original, resent(original))
        await h.settle()

        assert len(await h.sql("SELECT 1 FROM complaints")) == 1
        assert h.results_for(original.payload.channel_message_id) == []
        assert h.consumer().duplicates == 1  # the original, by the inbox; the resend by the natural key


async def _waiting_on_a_lock(pool: asyncpg.Pool, pid: int) -> bool:
    return bool(await pool.fetchval(
        "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid
    ))


@pytest.mark.parametrize("reporter", ["with a reporter", "anonymous without contact"])
async def test_two_racing_deliveries_of_one_message_emit_one_acceptance(database_url, reporter):
    """The loser of the race waits for the winner's commit, then writes and emits nothing."""
    payload = complaint_submitted() if reporter == "with a reporter" else complaint_submitted(
        reporter=None, anonymous=True
    )
    first, second = submitted_envelope(payload), submitted_envelope(payload)
    ctx = service.Context.from_settings(IntakeSettings(database_url=database_url))
    runtime = build(IntakeSettings(database_url=database_url)).runtime
    async with in_memory(runtime):
        pool = runtime.pool
        async with pool.acquire() as a, pool.acquire() as b:
            tx_a, tx_b = Tx(a, Outbox(), "intake", first), Tx(b, Outbox(), "intake", second)
            ta, tb = a.transaction(), b.transaction()
            await ta.start()
            await tb.start()
            await service.accept_submission(tx_a, first, ctx=ctx)  # uncommitted winner
            loser = asyncio.create_task(service.accept_submission(tx_b, second, ctx=ctx))
            pid_b = b.get_server_pid()
            for _ in range(200):
                if await _waiting_on_a_lock(pool, pid_b):
                    break
                await asyncio.sleep(0.01)
            assert await _waiting_on_a_lock(pool, pid_b), "the second delivery should wait for the first"
            assert not loser.done()
            await ta.commit()
            await asyncio.wait_for(loser, 10)
            await tb.commit()

        assert [e.event_type for e in tx_a.emitted if e.event_type == "complaint.accepted"] == ["complaint.accepted"]
        assert tx_b.emitted == []
        assert await pool.fetchval("SELECT count(*) FROM complaints") == 1
        accepted_rows = await pool.fetchval(
            "SELECT count(*) FROM outbox WHERE topic = $1 AND headers->>'event_type' = 'submission.accepted'",
            SUBMISSION_RESULTS.name,
        )
        assert accepted_rows == 1


async def test_many_concurrent_deliveries_of_the_same_messages_make_one_complaint_each(database_url):
    messages = [complaint_submitted(reporter=None, anonymous=True) for _ in range(20)]
    deliveries = [submitted_envelope(m) for m in messages for _ in range(4)]
    ctx = service.Context.from_settings(IntakeSettings(database_url=database_url))
    runtime = build(IntakeSettings(database_url=database_url)).runtime
    async with in_memory(runtime):
        pool = runtime.pool
        emitted: list[Envelope] = []

        async def deliver(envelope: Envelope) -> None:
            async with pool.acquire() as conn, conn.transaction():
                tx = Tx(conn, Outbox(), "intake", envelope)
                await service.accept_submission(tx, envelope, ctx=ctx)
            emitted.extend(tx.emitted)

        await asyncio.gather(*(deliver(d) for d in deliveries))

        assert await pool.fetchval("SELECT count(*) FROM complaints") == 20
        accepted = [e for e in emitted if e.event_type == "complaint.accepted"]
        assert sorted(e.payload.channel_message_id for e in accepted) == sorted(m.channel_message_id for m in messages)


async def test_an_accepted_message_resent_in_a_form_now_refused_is_not_rejected_after_the_fact(intake):
    original = submitted_envelope()
    changed = submitted_envelope(original.payload.model_copy(update={"title": ""}))
    async with intake() as h:
        await h.submit(original)
        await h.answered(original)
        await h.submit(changed)
        await h.settle()

        assert [r["event_type"] for r in h.results_for(original.payload.channel_message_id)] == [
            "submission.accepted"
        ]
        assert await h.sql("SELECT * FROM rejections WHERE channel_message_id = $1",
                           original.payload.channel_message_id) == []
