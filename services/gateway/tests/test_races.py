"""An SMS's answer and its submission row in two overlapping transactions: the results consumer records the
answer and queues the reply if it sees the row; the webhook records the row and queues the reply if it
sees the answer. Under READ COMMITTED neither sees the other's uncommitted row, so without a guard the
reply would be queued by neither. The channel message's advisory lock, taken by both before they look,
makes the second wait for the first's commit; these tests hold one side open and watch the other wait."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from lapor_gateway import service
from lapor_gateway.app import build
from lapor_gateway.settings import GatewaySettings
from lapor_shared.consumer import Tx
from lapor_shared.db import Conn
from lapor_shared.outbox import Outbox
from lapor_shared.testing.factories import submission_accepted, submission_accepted_envelope
from lapor_shared.testing.service import in_memory

from .conftest import unique_phone, valid_tracking_number

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def waits_on_a_lock(pool: asyncpg.Pool, pid: int) -> bool:
    for _ in range(300):
        if await pool.fetchval("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid):
            return True
        await asyncio.sleep(0.01)
    return False


def sms_answer(message_id: str) -> Any:
    payload = submission_accepted(channel="sms", channel_message_id=message_id, tracking_number=valid_tracking_number())
    return submission_accepted_envelope(payload)


async def record_answer(conn: Conn, answer: Any) -> None:
    await service.record_answer(Tx(conn, Outbox(), "gateway", answer), answer, short_code="1708",
                                notify_channel="lapor_answers_gateway")


async def record_submission(conn: Conn, message_id: str) -> bool:
    return await service.record_submission(
        conn, channel="sms", channel_message_id=message_id, source="sms", poll_token=uuid.uuid4().hex,
        fingerprint="-", reply_to=unique_phone(), short_code="1708")


async def second_while_first_is_open(database_url: str, first: Any, second: Any) -> tuple[bool, list[Any]]:
    """``first(conn)`` in a transaction held open; ``second(conn)`` started meanwhile; then ``first`` commits.
    Whether the second waited, and the SMS replies queued in the end."""
    runtime = build(GatewaySettings(database_url=database_url)).runtime
    async with in_memory(runtime):
        pool = runtime.pool
        async with pool.acquire() as a, pool.acquire() as b:
            held = a.transaction()
            await held.start()
            await first(a)
            async with b.transaction():
                later = asyncio.create_task(second(b))
                waited = await waits_on_a_lock(pool, b.get_server_pid()) and not later.done()
                await held.commit()
                await asyncio.wait_for(later, 10)
        replies = await pool.fetch("SELECT in_reply_to, kind, to_phone FROM sms_outbox")
        numbers_kept = await pool.fetchval("SELECT count(*) FROM submissions WHERE reply_to IS NOT NULL")
    return waited, [*replies, numbers_kept]


async def test_an_sms_recorded_while_its_answer_is_being_recorded_gets_its_reply(database_url):
    message_id = f"sms-{uuid.uuid4()}"
    answer = sms_answer(message_id)

    waited, [*replies, numbers_kept] = await second_while_first_is_open(
        database_url, lambda conn: record_answer(conn, answer), lambda conn: record_submission(conn, message_id))

    assert waited, "the webhook waits for the answer's commit"
    assert [(r["in_reply_to"], r["kind"]) for r in replies] == [(message_id, "accepted")]
    assert numbers_kept == 0


async def test_an_answer_recorded_while_its_sms_is_being_recorded_queues_the_reply(database_url):
    message_id = f"sms-{uuid.uuid4()}"
    answer = sms_answer(message_id)

    waited, [*replies, numbers_kept] = await second_while_first_is_open(
        database_url, lambda conn: record_submission(conn, message_id), lambda conn: record_answer(conn, answer))

    assert waited, "the results consumer waits for the submission's commit"
    assert [(r["in_reply_to"], r["kind"]) for r in replies] == [(message_id, "accepted")]
    assert numbers_kept == 0
