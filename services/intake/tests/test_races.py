"""One reporter's submissions in two overlapping transactions: the duplicate check and the per-reporter
rate limit each read the reporter's earlier complaints, so the second submission must see the first
one even before it committed. The reporter's advisory lock (taken before either check) makes the second
wait for the first's commit; these tests hold the first transaction open and watch the second wait."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from lapor_intake import repository, service
from lapor_intake.app import build
from lapor_intake.settings import IntakeSettings
from lapor_shared.consumer import Tx
from lapor_shared.events.values import ReporterContact
from lapor_shared.outbox import Outbox
from lapor_shared.testing.factories import complaint_submitted, submitted_envelope
from lapor_shared.testing.service import in_memory

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

TEXT = dict(title="Lampu jalan mati di Jalan Teuku Umar",
            description="Sudah seminggu lampu jalan di depan Pasar Tugu mati, jalan gelap dan rawan di malam hari.")


async def waits_on_a_lock(pool: asyncpg.Pool, pid: int) -> bool:
    for _ in range(300):
        if await pool.fetchval("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid):
            return True
        await asyncio.sleep(0.01)
    return False


async def second_while_first_is_open(settings: IntakeSettings, first: Any, second: Any) -> tuple[Tx, Tx, bool]:
    """``first`` accepted in a transaction held open; ``second`` started meanwhile; then ``first`` commits."""
    ctx = service.Context.from_settings(settings)
    runtime = build(settings).runtime
    async with in_memory(runtime):
        pool = runtime.pool
        async with pool.acquire() as a, pool.acquire() as b:
            tx_a, tx_b = Tx(a, Outbox(), "intake", first), Tx(b, Outbox(), "intake", second)
            held = a.transaction()
            await held.start()
            await service.accept_submission(tx_a, first, ctx=ctx)
            async with b.transaction():
                later = asyncio.create_task(service.accept_submission(tx_b, second, ctx=ctx))
                waited = await waits_on_a_lock(pool, b.get_server_pid()) and not later.done()
                await held.commit()
                await asyncio.wait_for(later, 10)
    return tx_a, tx_b, waited


async def test_a_near_duplicate_sent_while_the_first_is_still_being_accepted_is_flagged_against_it(database_url):
    reporter = ReporterContact(phone="0812-7777-1234")
    first = submitted_envelope(complaint_submitted(reporter=reporter, **TEXT))
    again = submitted_envelope(complaint_submitted(reporter=reporter, **TEXT))

    tx_a, tx_b, waited = await second_while_first_is_open(IntakeSettings(database_url=database_url), first, again)

    [accepted_first] = [e for e in tx_a.emitted if e.event_type == "complaint.accepted"]
    [accepted_again] = [e for e in tx_b.emitted if e.event_type == "complaint.accepted"]
    assert waited, "the second submission waits for the first one's commit"
    assert accepted_again.payload.possible_duplicate_of == accepted_first.complaint_id


async def test_a_reporter_at_the_limit_with_a_submission_in_flight_is_refused_the_next_one(database_url):
    reporter = ReporterContact(email="sering@contoh.id")
    first = submitted_envelope(complaint_submitted(reporter=reporter, title="Pertama"))
    second = submitted_envelope(complaint_submitted(reporter=reporter, title="Kedua"))

    tx_a, tx_b, waited = await second_while_first_is_open(
        IntakeSettings(database_url=database_url, reporter_rate_limit=1), first, second)

    assert waited
    assert "complaint.accepted" in [e.event_type for e in tx_a.emitted]
    assert [e.event_type for e in tx_b.emitted] == ["complaint.rejected"]
    assert [r.code for r in tx_b.emitted[0].payload.reasons] == ["rate_limited"]


async def test_one_statement_takes_a_lock_for_each_of_the_reporters_hashes(database_url):
    runtime = build(IntakeSettings(database_url=database_url)).runtime
    async with in_memory(runtime), runtime.pool.acquire() as conn, conn.transaction():
        await repository.lock_identity(conn, [42, -7, 3])
        held = await conn.fetch(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted")

    assert sorted(r["objid"] for r in held) == sorted(k & 0xFFFFFFFF for k in (42, -7, 3))
