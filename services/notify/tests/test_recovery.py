"""A delivery in flight when its worker dies is taken back at once, not after its lease; a live worker's
claims are never taken from it; an outcome the database could not record is recorded later, not sent
again."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from lapor_notify.channels.base import OutboundMessage
from lapor_notify.liveness import LOCK_CLASS as LIVENESS_LOCK_CLASS
from lapor_shared.testing.clock import ManualClock
from lapor_shared.testing.factories import accepted_envelope

from .harness import NotifyHarness, RecordingChannel

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


class StuckChannel:
    """A provider that takes the message and does not answer until ``release`` is set."""

    name = "inbox"

    def __init__(self) -> None:
        self.started: list[OutboundMessage] = []
        self.release = asyncio.Event()

    async def send(self, message: OutboundMessage) -> None:
        self.started.append(message)
        await self.release.wait()


async def wait_for(predicate, timeout_s: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not await predicate():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


async def end_connection_of(database_url: str, worker_key: int) -> None:
    """What a SIGKILL does to a worker's liveness: its connection ends, PostgreSQL drops the lock."""
    conn = await asyncpg.connect(database_url)
    try:
        pid = await conn.fetchval(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::int::oid AND objid = $2::int::oid"
            " AND objsubid = 2", LIVENESS_LOCK_CLASS, worker_key,
        )
        assert pid is not None, "the worker holds its liveness lock"
        await conn.execute("SELECT pg_terminate_backend($1)", pid)

        async def gone() -> bool:
            return not await conn.fetchval("SELECT true FROM pg_stat_activity WHERE pid = $1", pid)
        await wait_for(gone)
    finally:
        await conn.close()


async def test_a_delivery_claimed_by_a_worker_that_died_is_sent_by_the_next_round_without_waiting_for_its_lease(
    database_url,
):
    clock = ManualClock()
    stuck, survivor = StuckChannel(), RecordingChannel("inbox")
    accepted = accepted_envelope()
    async with NotifyHarness(database_url, channels={"inbox": stuck}, clock=clock) as dying, \
            NotifyHarness(database_url, channels={"inbox": survivor}, clock=clock) as next_one:
        await dying.publish(accepted)
        assert await dying.worker.tick() == 1  # claimed, leased for lease_s, and handed to the provider
        await wait_for(lambda: _true(bool(stuck.started)))
        await end_connection_of(database_url, dying.worker.liveness.key)

        clock.advance(seconds=next_one.settings.sending.housekeeping_interval_s)  # a round later, far within the lease
        await next_one.deliver()
        [row] = await next_one.deliveries(complaint_id=accepted.complaint_id)
        stuck.release.set()  # the dead worker's send "returns": its lease token no longer matches
        await asyncio.sleep(0.05)
        [after] = await next_one.deliveries(complaint_id=accepted.complaint_id)

    assert [m.delivery_id for m in survivor.sent] == [row["notification_id"]]
    assert row["status"] == "sent" and row["attempts"] == 2
    assert row["claimed_by"] == next_one.worker.liveness.key
    assert after["status"] == "sent" and after["lease_token"] == row["lease_token"], "the dead claim wrote nothing"
    assert next_one.worker.reclaimed == 1


async def test_a_live_workers_delivery_in_flight_is_not_taken_by_another_until_its_lease_runs_out(database_url):
    clock = ManualClock()
    stuck, other = StuckChannel(), RecordingChannel("inbox")
    accepted = accepted_envelope()
    async with NotifyHarness(database_url, channels={"inbox": stuck}, clock=clock) as busy, \
            NotifyHarness(database_url, channels={"inbox": other}, clock=clock) as idle:
        await busy.publish(accepted)
        assert await busy.worker.tick() == 1
        for _ in range(3):
            clock.advance(seconds=idle.settings.sending.housekeeping_interval_s)
            await idle.deliver()
            await busy.worker.housekeeping()  # its own round does not take back what it is sending
        assert not other.sent and idle.worker.reclaimed == 0 and busy.worker.reclaimed == 0

        clock.advance(seconds=idle.settings.sending.lease_s)  # stuck for a whole lease: the fallback applies
        await idle.deliver()
        stuck.release.set()

    assert [m.complaint_id for m in other.sent] == [accepted.complaint_id]


async def test_the_restarted_worker_of_the_same_service_takes_back_what_its_predecessor_left_sending(
    database_url,
):
    clock = ManualClock()
    stuck, fresh = StuckChannel(), RecordingChannel("inbox")
    complaints = [accepted_envelope() for _ in range(5)]
    async with NotifyHarness(database_url, channels={"inbox": stuck}, clock=clock) as before:
        for accepted in complaints:
            await before.publish(accepted)
        assert await before.worker.tick() == 5
        await wait_for(lambda: _true(len(stuck.started) == 5))
        for task in list(before.worker._tasks):  # the process dies mid-send: nothing more happens in it
            task.cancel()
        await end_connection_of(database_url, before.worker.liveness.key)

    async with NotifyHarness(database_url, channels={"inbox": fresh}, clock=clock) as after:
        await after.deliver()  # its very first round, at the same moment on the clock
        statuses = {r["status"] for r in await after.deliveries()}

    assert sorted(m.complaint_id for m in fresh.sent) == sorted(c.complaint_id for c in complaints)
    assert statuses == {"sent"}


async def _true(value: bool) -> bool:
    return value


async def test_after_the_database_dropped_every_connection_the_worker_holds_its_key_again_and_keeps_sending(
    database_url,
):
    clock = ManualClock()
    inbox = RecordingChannel("inbox")
    first, second = accepted_envelope(), accepted_envelope()
    async with NotifyHarness(database_url, channels={"inbox": inbox}, clock=clock) as h:
        await h.publish(first)
        await h.deliver()
        key = h.worker.liveness.key
        conn = await asyncpg.connect(database_url)
        try:  # what a PostgreSQL restart does to the service: every one of its connections ends
            await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                               " WHERE application_name = 'lapor-notify' AND pid <> pg_backend_pid()")
        finally:
            await conn.close()
        await asyncio.sleep(0.2)
        await h.publish(second)
        for _ in range(20):  # rounds fail while the pool notices, then succeed
            clock.advance(seconds=h.settings.sending.housekeeping_interval_s)
            try:
                await h.deliver()
                break
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await asyncio.sleep(0.1)
        holder = await h.pool.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::int::oid"
            " AND objid = $2::int::oid", LIVENESS_LOCK_CLASS, key)

    assert [m.complaint_id for m in inbox.sent] == [first.complaint_id, second.complaint_id]
    assert h.worker.liveness.key == key and holder == 1
