"""``make bench-history``: do the hot look-ups cost the same with a million complaints stored as with none?

Seeds intake's and followup's real schemas (migrated as the services migrate them) with years of history —
closed complaints with their fired timers, old reporter activity — in steps, and after each step times the
look-ups every complaint or every timer round pays, through the services' own repository functions:

- followup: lock the complaints of the earliest due timers (the timer poller's round);
- intake: the acceptance checks (already made, the reporter and channel counts, the most similar recent
  complaint: one statement) for one submission and, per submission, for a run of ``RUN`` (a busy intake reads a
  run at once; issue 17), and the activity insert.

A look-up whose median grows with the history fails the run (exit 1): ``--max-ratio`` (default 3) against the
empty store, with a 1 ms floor for timer noise. Results go to ``results/history-<time>.json``.

    uv run python -m tools.bench_history                      # steps 0, 100,000, 1,000,000
    uv run python -m tools.bench_history --steps 0 20000      # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from lapor_followup import repository as followup_repo
from lapor_intake import admission as intake_admission
from lapor_shared.db import create_pool
from lapor_shared.migrator import migrate
from lapor_shared.settings import PostgresSettings
from lapor_shared.testing.infra import start_infrastructure
from tools.platform_infra import quiet_logging, say

REPORTER = hashlib.sha256(b"reporter-under-test").digest()
DUE_NOW = 100  # timers due at every measurement: the poller's real work, the same at every step
RUN = 200
"""Submissions of the run whose admission read is timed (a burst hands intake runs of a few hundred)."""


async def seed_followup(pool: asyncpg.Pool, start: int, stop: int) -> None:
    """Closed complaints (routed long ago) with three fired timers each; one in ten still open, with a
    timer due in the future."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """
            INSERT INTO complaints (complaint_id, tracking_number, agency_id, jurisdiction_code, report_type,
                status, policy_version, anonymous, confidential, routed_at, stage, due_at)
            SELECT md5('c' || g)::uuid, 'H' || g, 'agency-' || (g % 600), '18.71', 'pengaduan',
                   CASE WHEN g % 10 = 0 THEN 'routed' ELSE 'closed' END, 'bench', false, false,
                   now() - make_interval(days => (30 + g % 700)::int), 'follow_up', now() + interval '3 days'
            FROM generate_series($1::bigint, $2::bigint - 1) AS g
            """, start, stop)
        await conn.execute(
            """
            INSERT INTO timers (complaint_id, stage, due_at, fired_at, kind)
            SELECT md5('c' || g)::uuid, s.stage, now() - make_interval(days => (30 + g % 700)::int),
                   now() - make_interval(days => (30 + g % 700)::int), 'deadline'
            FROM generate_series($1::bigint, $2::bigint - 1) AS g,
                 (VALUES ('verification'), ('follow_up'), ('auto_close')) AS s(stage)
            """, start, stop)
        await conn.execute(
            """
            INSERT INTO timers (complaint_id, stage, due_at, kind)
            SELECT md5('c' || g)::uuid, 'follow_up', now() + make_interval(days => (1 + g % 9)::int), 'deadline'
            FROM generate_series($1::bigint, $2::bigint - 1) AS g WHERE g % 10 = 0
            """, start, stop)


async def seed_intake(pool: asyncpg.Pool, start: int, stop: int) -> None:
    """Complaints of many reporters over two years, with their activity rows (as if never pruned)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """
            INSERT INTO complaints (complaint_id, tracking_number, channel, channel_message_id, report_type, title,
                region_code, anonymous, confidential, submitted_at, accepted_at, text_fingerprint)
            SELECT md5('i' || g)::uuid, 'HI' || g, 'web', 'hist-' || g, 'pengaduan', 'Jalan rusak ' || g, '18.71',
                   false, false, now() - make_interval(days => (1 + g % 700)::int),
                   now() - make_interval(days => (1 + g % 700)::int),
                   'jalan rusak di kelurahan ' || (g % 5000) || ' sudah lama tidak diperbaiki'
            FROM generate_series($1::bigint, $2::bigint - 1) AS g
            """, start, stop)
        await conn.execute(
            """
            INSERT INTO reporter_activity (identity_hash, accepted_at, complaint_id)
            SELECT sha256(('r' || (g % 200000))::bytea), now() - make_interval(days => (1 + g % 700)::int),
                   md5('i' || g)::uuid
            FROM generate_series($1::bigint, $2::bigint - 1) AS g
            """, start, stop)


async def prepare_fixed_work(followup: asyncpg.Pool, intake: asyncpg.Pool) -> None:
    """What every measurement finds: DUE_NOW timers due now, and a reporter with three recent complaints."""
    async with followup.acquire() as conn:
        await conn.execute(
            """
            INSERT INTO complaints (complaint_id, tracking_number, agency_id, jurisdiction_code, report_type,
                status, policy_version, anonymous, confidential, routed_at, stage, due_at)
            SELECT md5('due' || g)::uuid, 'DUE' || g, 'agency-1', '18.71', 'pengaduan', 'routed', 'bench',
                   false, false, now(), 'verification', now() - interval '1 minute'
            FROM generate_series(1, $1) AS g
            """, DUE_NOW)
        await conn.execute(
            "INSERT INTO timers (complaint_id, stage, due_at, kind)"
            " SELECT md5('due' || g)::uuid, 'verification', now() - interval '1 minute', 'deadline'"
            " FROM generate_series(1, $1) AS g", DUE_NOW)
    async with intake.acquire() as conn:
        for n in range(3):
            complaint_id = uuid.uuid4()
            await conn.execute(
                "INSERT INTO complaints (complaint_id, tracking_number, channel, channel_message_id, report_type,"
                " title, anonymous, confidential, submitted_at, text_fingerprint)"
                " VALUES ($1, $2, 'web', $3, 'pengaduan', 'Lampu jalan', false, false, now(), $4)",
                complaint_id, f"RECENT{n}", f"recent-{n}", f"lampu jalan padam di gang mawar nomor {n}")
            await intake_admission.record_made(conn, [REPORTER], [complaint_id], [])


async def timed(fn, runs: int) -> float:
    """Median milliseconds of ``runs`` calls of ``fn()``."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(times), 3)


async def measure(followup: asyncpg.Pool, intake: asyncpg.Pool, runs: int) -> dict[str, float]:
    async def due_round() -> None:
        async with followup.acquire() as conn:
            tx = conn.transaction()
            await tx.start()
            found = await followup_repo.lock_complaints_with_due_timers(conn, now=datetime.now(UTC), limit=DUE_NOW)
            await tx.rollback()
            assert len(found) == DUE_NOW, f"expected {DUE_NOW} due complaints, found {len(found)}"

    async def admission_checks() -> None:
        async with intake.acquire() as conn:
            facts = await intake_admission.admission(
                conn, channel="web", channel_message_id="bench-history-probe", hashes=[REPORTER],
                reporter_window_s=3600, channel_window_s=60, duplicate_window_s=7 * 24 * 3600,
                text_fingerprint="lampu jalan padam di gang mawar nomor 1", similarity=0.6)
            assert facts.similar is not None

    run_of_asks = [intake_admission.Ask("web", f"bench-history-run-{n}", [hashlib.sha256(b"r%d" % n).digest()],
                                        "jalan rusak di kelurahan 7 sudah lama tidak diperbaiki") for n in range(RUN)]

    async def admission_checks_of_a_run() -> None:
        async with intake.acquire() as conn:
            facts = await intake_admission.admissions(
                conn, run_of_asks, reporter_window_s=3600, channel_window_s=60,
                duplicate_window_s=7 * 24 * 3600, similarity=0.6)
            assert len(facts) == RUN

    async def activity_insert() -> None:
        async with intake.acquire() as conn:
            tx = conn.transaction()
            await tx.start()
            complaint_id = uuid.uuid4()
            await conn.execute(
                "INSERT INTO complaints (complaint_id, tracking_number, channel, channel_message_id, report_type,"
                " title, anonymous, confidential, submitted_at) VALUES ($1, $2, 'web', $2, 'pengaduan', 'x',"
                " false, false, now())", complaint_id, f"T{complaint_id.hex[:12]}")
            await intake_admission.record_made(conn, [REPORTER], [complaint_id], [])
            await tx.rollback()

    return {
        "followup_due_timer_round_ms": await timed(due_round, runs),
        "intake_admission_checks_ms": await timed(admission_checks, runs),
        "intake_admission_run_each_ms": round(await timed(admission_checks_of_a_run, runs) / RUN, 3),
        "intake_accept_insert_ms": await timed(activity_insert, runs),
    }


async def run(database_url: str, steps: list[int], runs: int) -> list[dict]:
    followup = await create_pool(PostgresSettings(url=database_url), schema="followup")
    intake = await create_pool(PostgresSettings(url=database_url), schema="intake")
    results = []
    try:
        await migrate(followup, schema="followup", package="lapor_followup.migrations")
        await migrate(intake, schema="intake", package="lapor_intake.migrations")
        await prepare_fixed_work(followup, intake)
        stored = 0
        for target in steps:
            began = time.perf_counter()
            while stored < target:
                chunk = min(100_000, target - stored)
                await seed_followup(followup, stored, stored + chunk)
                await seed_intake(intake, stored, stored + chunk)
                stored += chunk
                say(f"riwayat: {stored:,} laporan", f"history: {stored:,} complaints stored", mark="…")
            for pool in (followup, intake):
                await pool.execute("ANALYZE")
            figures = await measure(followup, intake, runs)
            results.append({"history": stored, "seeded_in_s": round(time.perf_counter() - began, 1), **figures})
            say(f"{stored:>9,}: " + ", ".join(f"{k} {v}" for k, v in figures.items()), mark="•")
    finally:
        await followup.close()
        await intake.close()
    return results


def grown(results: list[dict], max_ratio: float) -> list[str]:
    """The look-ups whose median grew more than ``max_ratio`` times from the first step (1 ms floor)."""
    first, failures = results[0], []
    for row in results[1:]:
        for key, value in row.items():
            if key.endswith("_ms") and value > max(first[key], 1.0) * max_ratio:
                failures.append(f"{key}: {first[key]} ms with {first['history']:,} → {value} ms with "
                                f"{row['history']:,} stored")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description="Biaya per laporan vs riwayat / cost per complaint vs history")
    parser.add_argument("--steps", type=int, nargs="+", default=[0, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=200, help="calls per look-up and step (median)")
    parser.add_argument("--max-ratio", type=float, default=3.0)
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args()
    quiet_logging()
    work = Path(tempfile.mkdtemp(prefix="lapor-history-"))
    infra = start_infrastructure(work)
    try:
        database_url = asyncio.run(infra.new_database())
        results = asyncio.run(run(database_url, sorted(args.steps), args.runs))
    finally:
        infra.close()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"history-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"{'stored':>10}  " + "  ".join(k for k in results[0] if k.endswith("_ms")))
    for row in results:
        print(f"{row['history']:>10,}  " + "  ".join(f"{row[k]:>{len(k)}}" for k in row if k.endswith("_ms")))
    failures = grown(results, args.max_ratio)
    for failure in failures:
        say(failure, mark="✗")
    if not failures:
        say("biaya tetap datar", "cost per look-up stays flat as history grows", mark="✓")
    say(f"hasil: {path}", f"results: {path}", mark="✓")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
