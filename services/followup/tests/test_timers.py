"""Durable timers: a deadline fires exactly once across stops, restarts, crashes and concurrent pollers,
and finding due timers goes through the partial index however much history there is."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime

import asyncpg
import pytest

from lapor_shared.db import Conn
from lapor_shared.testing.clock import ManualClock

from .harness import START, WIB

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

DUE = datetime(2025, 7, 14, 23, 59, 59, tzinfo=WIB)
"""The follow-up deadline of a complaint routed at START (Monday 7 July 2025, 10:00 WIB)."""


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2025, 7, day, hour, minute, tzinfo=WIB)


async def breached_per_complaint(conn: Conn) -> Counter:
    rows = await conn.fetch(
        "SELECT key FROM followup.outbox WHERE topic = 'lapor.complaints'"
        " AND headers->>'event_type' = 'complaint.deadline_breached'"
    )
    return Counter(bytes(r["key"]).decode() for r in rows)


async def test_a_deadline_fires_once_when_the_service_is_stopped_and_restarted_around_it(start_followup):
    clock = ManualClock(START)
    async with start_followup(clock) as first:
        complaints = [await first.route("18.71", at=START) for _ in range(3)]
        await first.tick(at(14, 23, 59))  # one second before: only the warnings
        assert await breached_per_complaint(first.conn) == Counter()

    clock.set(at(15, 3))  # the deadline passes while no followup runs
    async with start_followup(clock) as second:
        # the restarted poller's first round (at start) fires what became due meanwhile
        await second.tick(at(15, 3))
        counts = await breached_per_complaint(second.conn)
        assert counts == Counter({str(c.complaint_id): 1 for c in complaints})
        fired_by = {r["fired_by"] for r in await second.conn.fetch(
            "SELECT fired_by FROM followup.timers WHERE kind = 'deadline' AND stage = 'follow_up'")}
        assert fired_by == {second.service.poller.poller_id}

    async with start_followup(clock) as third:
        assert await third.tick(at(15, 4)) == 0
        assert await breached_per_complaint(third.conn) == counts
        for complaint in complaints:
            assert len(await third.events(complaint, "complaint.deadline_warning")) == 1
            assert len(await third.events(complaint, "complaint.escalated")) == 1


async def test_a_poller_that_crashes_mid_round_leaves_its_timers_to_fire_exactly_once(followup):
    f = followup
    complaints = [await f.route("18.71", at=START) for _ in range(4)]
    f.clock.set(at(15, 1))
    # another replica's poller claimed the due timers and locked their complaints, then dies mid-round
    crashed = await asyncpg.connect(f.database_url)
    await crashed.execute("BEGIN")
    claimed = await crashed.fetch(
        "SELECT timer_id, complaint_id FROM followup.timers WHERE fired_at IS NULL AND cancelled_at IS NULL"
        " AND due_at <= $1 FOR UPDATE SKIP LOCKED", f.clock.now())
    assert len(claimed) == 8  # a warning and a deadline per complaint
    await crashed.execute("SELECT 1 FROM followup.complaints WHERE complaint_id = ANY($1::uuid[]) FOR UPDATE",
                          [r["complaint_id"] for r in claimed])
    await crashed.execute("UPDATE followup.timers SET fired_at = now() WHERE timer_id = ANY($1::bigint[])",
                          [r["timer_id"] for r in claimed])

    assert await f.service.poller.run_once() == 0  # skipped: locked, not waited for

    killer = await asyncpg.connect(f.database_url)
    # the timeout form waits for the backend to end (and its locks with it), not only for the signal to be sent
    assert await killer.fetchval("SELECT pg_terminate_backend($1, 10000)", crashed.get_server_pid())
    await killer.close()
    crashed.terminate()

    assert await f.tick(at(15, 1)) == 8
    assert await breached_per_complaint(f.conn) == Counter({str(c.complaint_id): 1 for c in complaints})
    assert await f.tick(at(15, 2)) == 0


async def test_two_pollers_on_one_database_fire_each_timer_exactly_once(start_followup):
    clock = ManualClock(START)
    async with start_followup(clock, timer_batch_size=3) as a, start_followup(clock, timer_batch_size=3) as b:
        complaints = [await a.route("18.71" if i % 2 else "73.71", at=START) for i in range(24)]
        clock.set(at(16, 1))

        async def drain(harness) -> int:
            total = 0
            while True:
                n = await harness.service.poller.run_once()
                total += n
                # a round can find nothing while the other poller holds the complaints: done only when
                # nothing is due any more
                if not n and not await harness.conn.fetchval(
                    "SELECT count(*) FROM followup.timers WHERE fired_at IS NULL AND cancelled_at IS NULL"
                    " AND due_at <= $1", clock.now()):
                    return total
                await asyncio.sleep(0)

        fired_a, fired_b = await asyncio.gather(drain(a), drain(b))
        assert fired_a + fired_b == 48  # one warning and one deadline per complaint
        assert fired_a > 0 and fired_b > 0
        assert await breached_per_complaint(a.conn) == Counter({str(c.complaint_id): 1 for c in complaints})
        rows = await a.conn.fetch(
            "SELECT complaint_id, count(*) AS n FROM followup.timers WHERE fired_at IS NOT NULL GROUP BY 1")
        assert {r["n"] for r in rows} == {2}
        escalations = await a.events(event_type="complaint.escalated")
        assert Counter(e.complaint_id for e in escalations) == Counter({c.complaint_id: 1 for c in complaints})


async def test_due_timers_are_found_through_the_partial_index_however_long_the_history(followup):
    f = followup
    complaint = await f.route("18.71", at=START)
    await f.conn.execute(
        "INSERT INTO followup.timers (complaint_id, stage, kind, due_at, fired_at, outcome)"
        " SELECT $1, 'follow_up', 'deadline', now() - make_interval(secs => g), now(), 'applied'"
        " FROM generate_series(1, 20000) AS g",
        complaint.complaint_id,
    )
    await f.conn.execute(
        "INSERT INTO followup.timers (complaint_id, stage, kind, due_at, cancelled_at)"
        " SELECT $1, 'auto_close', 'deadline', now() - make_interval(secs => g), now()"
        " FROM generate_series(1, 10000) AS g",
        complaint.complaint_id,
    )
    await f.conn.execute("ANALYZE followup.timers")
    plan = "\n".join(r[0] for r in await f.conn.fetch(
        "EXPLAIN SELECT complaint_id FROM followup.complaints WHERE complaint_id IN ("
        " SELECT complaint_id FROM followup.timers WHERE fired_at IS NULL AND cancelled_at IS NULL"
        " AND due_at <= $1 ORDER BY due_at LIMIT 200) LIMIT 20 FOR UPDATE SKIP LOCKED",
        f.clock.now()))
    assert "timers_due" in plan, plan
    assert "Seq Scan on timers" not in plan, plan
    await f.tick(at(15, 1))  # the history is not due again: only the live timers fire
    assert len(await f.events(complaint, "complaint.deadline_breached")) == 1


async def test_a_timer_whose_effect_keeps_failing_is_set_aside_and_the_rest_of_the_batch_fires(followup, monkeypatch):
    from lapor_followup import timers

    f = followup
    good, bad = await f.route("18.71", at=START), await f.route("18.71", at=START)
    original = timers.fire

    async def fire(tx, ctx, case, timer, now):
        if case["complaint_id"] == bad.complaint_id:
            raise RuntimeError("effect failed")
        return await original(tx, ctx, case, timer, now)

    monkeypatch.setattr(timers, "fire", fire)
    for minute in range(f.service.poller.max_attempts):
        await f.tick(at(15, 1, minute))
    assert await breached_per_complaint(f.conn) == Counter({str(good.complaint_id): 1})
    failed = await f.conn.fetch("SELECT attempts, outcome, last_error FROM followup.timers"
                                " WHERE complaint_id = $1 AND fired_at IS NOT NULL", bad.complaint_id)
    assert {(r["attempts"], r["outcome"]) for r in failed} == {(5, "failed")}
    assert "effect failed" in failed[0]["last_error"]


async def test_the_sixty_day_hard_cap_is_reported_once_for_a_complaint_still_open(followup):
    f = followup
    from lapor_shared.events.commands import ReplyToResponse, RespondToComplaint

    complaint = await f.route("18.71", at=START)
    for day in (8, 22):
        f.clock.set(datetime(2025, 8, day, 9, tzinfo=WIB))
        await f.command(complaint, RespondToComplaint(agency_id="umum.18.71", text="Masih dikerjakan."))
        f.clock.set(datetime(2025, 8, day, 10, tzinfo=WIB))
        await f.command(complaint, ReplyToResponse(text="Belum selesai."))
    await f.tick(datetime(2025, 9, 6, 0, 1, tzinfo=WIB))
    cap = [e for e in await f.events(complaint, "complaint.deadline_breached") if e.payload.stage == "resolution"]
    assert len(cap) == 1
    assert cap[0].payload.due_at == datetime(2025, 9, 5, 23, 59, 59, tzinfo=WIB)
    # 7 July → 5 September 2025: 42 working days (17 August is a Sunday, 18 August its cuti bersama,
    # 5 September the Prophet's birthday)
    assert cap[0].payload.working_days == 42
