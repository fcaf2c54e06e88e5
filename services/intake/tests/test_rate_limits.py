"""Abuse limits: per reporter and per channel, counted in PostgreSQL, answered with ``rate_limited``."""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta

import pytest

from lapor_intake import admission, service
from lapor_intake.app import build
from lapor_intake.settings import IntakeSettings
from lapor_shared.consumer import Tx
from lapor_shared.events.values import Channel, ReporterContact
from lapor_shared.outbox import Outbox
from lapor_shared.testing.factories import complaint_submitted, submitted_envelope
from lapor_shared.testing.service import in_memory

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def _codes(result: dict) -> list[tuple[str, str]]:
    return [(r["code"], r["field"]) for r in result["payload"].get("reasons", [])]


async def test_a_reporter_over_the_limit_is_told_why_and_others_are_not_affected(intake):
    same_person = ["0812-5555-0001", "+6281255550001", "081255550001"]
    theirs = [submitted_envelope(complaint_submitted(reporter=ReporterContact(phone=p), title=f"Laporan {i}"))
              for i, p in enumerate(same_person)]
    someone_else = submitted_envelope(complaint_submitted(reporter=ReporterContact(phone="081255550002")))
    async with intake(reporter_rate_limit=2) as h:
        await h.submit(*theirs, someone_else)
        results = await h.answered(*theirs, someone_else)

    assert [r["event_type"] for r in results] == [
        "complaint.accepted", "complaint.accepted", "complaint.rejected", "complaint.accepted",
    ]
    limited = results[2]
    assert _codes(limited) == [("rate_limited", "reporter")]
    reason = limited["payload"]["reasons"][0]
    assert "2 laporan per 1 jam" in reason["message_id"] and "2 complaints per hour" in reason["message_en"]
    assert limited["payload"]["channel_message_id"] == theirs[2].payload.channel_message_id


async def test_the_same_email_in_another_case_counts_as_the_same_reporter(intake):
    first = submitted_envelope(complaint_submitted(reporter=ReporterContact(email="Warga@Contoh.id")))
    second = submitted_envelope(complaint_submitted(reporter=ReporterContact(email="warga@contoh.ID")))
    async with intake(reporter_rate_limit=1) as h:
        await h.submit(first, second)
        results = await h.answered(first, second)

    assert _codes(results[1]) == [("rate_limited", "reporter")]


async def test_the_limit_slides_a_refused_message_resent_after_the_window_is_accepted(intake):
    reporter = ReporterContact(phone="081255550003")
    first = submitted_envelope(complaint_submitted(reporter=reporter))
    refused = submitted_envelope(complaint_submitted(reporter=reporter))
    async with intake(reporter_rate_limit=1, reporter_rate_window_s=600) as h:
        await h.submit(first, refused)
        await h.answered(first, refused)
        await h.sql("UPDATE reporter_activity SET accepted_at = accepted_at - interval '11 minutes'")
        await h.submit(submitted_envelope(refused.payload))
        await h.until(lambda: len(h.results_for(refused.payload.channel_message_id)) == 2)
        answers = [r["event_type"] for r in h.results_for(refused.payload.channel_message_id)]
        times = await h.sql("SELECT times FROM rejections")

    assert answers == ["complaint.rejected", "submission.accepted"]
    assert [r["times"] for r in times] == [1]


async def test_a_flooded_channel_is_limited_and_other_channels_go_on(intake):
    web = [submitted_envelope(complaint_submitted(channel=Channel.WEB, reporter=None)) for _ in range(4)]
    sms = submitted_envelope(complaint_submitted(channel=Channel.SMS))
    async with intake(channel_rate_limit=3, channel_rate_window_s=60) as h:
        await h.submit(*web, sms)
        results = await h.answered(*web, sms)

    assert [r["event_type"] for r in results] == [
        "complaint.accepted", "complaint.accepted", "complaint.accepted", "complaint.rejected", "complaint.accepted",
    ]
    assert _codes(results[3]) == [("rate_limited", "channel")]


async def test_concurrent_submissions_of_one_reporter_are_counted_exactly(database_url):
    settings = IntakeSettings(database_url=database_url, reporter_rate_limit=5)
    ctx = service.Context.from_settings(settings)
    reporter = ReporterContact(phone="081255550004")
    envelopes = [submitted_envelope(complaint_submitted(reporter=reporter, title=f"Laporan ke-{i}"))
                 for i in range(12)]
    runtime = build(settings).runtime
    async with in_memory(runtime):
        async def deliver(envelope):
            async with runtime.pool.acquire() as conn, conn.transaction():
                tx = Tx(conn, Outbox(), "intake", envelope)
                await service.accept_submission(tx, envelope, ctx=ctx)
            return [e.event_type for e in tx.emitted]

        outcomes = await asyncio.gather(*(deliver(e) for e in envelopes))
        complaints = await runtime.pool.fetchval("SELECT count(*) FROM complaints")

    assert complaints == 5
    assert sum("complaint.accepted" in o for o in outcomes) == 5
    assert sum(o == ["complaint.rejected"] for o in outcomes) == 7


async def test_the_channel_count_weighs_the_window_before_by_its_share_still_inside_the_sliding_window(
    database_url,
):
    runtime = build(IntakeSettings(database_url=database_url)).runtime
    async with in_memory(runtime), runtime.pool.acquire() as conn, conn.transaction():
        start, elapsed = await conn.fetchrow(
            "SELECT to_timestamp(floor(extract(epoch FROM now()) / 60) * 60) AS s,"
            " extract(epoch FROM now() - to_timestamp(floor(extract(epoch FROM now()) / 60) * 60)) AS e")
        await conn.executemany(
            "INSERT INTO channel_counts (channel, window_start, shard, accepted) VALUES ($1, $2, $3, $4)",
            [("web", start, 0, 2), ("web", start, 5, 1), ("web", start - timedelta(seconds=60), 3, 10),
             ("web", start - timedelta(seconds=120), 0, 99), ("sms", start, 0, 50)])
        facts = await admission.admission(
            conn, channel="web", channel_message_id="x", hashes=[], reporter_window_s=3600, channel_window_s=60,
            duplicate_window_s=3600, text_fingerprint=None, similarity=0.8)

    assert facts.channel_recent == 3 + math.ceil(10 * (1 - float(elapsed) / 60))
    assert facts.reporter_recent == 0 and facts.similar is None and not facts.already_made


async def test_the_admission_read_looks_at_the_reporters_own_activity_not_the_whole_window(database_url):
    """The reporter count and the duplicate look-up reach the activity of the submission's own hashes by the
    index on (identity_hash, accepted_at), joined hash by hash: they read none of the other reporters' rows.
    (Written as ``identity_hash = ANY(ARRAY(...))``, the planner at times read every row of the window and
    filtered it by hash, about 6 ms a call under load: ``docs/performance.md``, twelfth steps.)"""
    runtime = build(IntakeSettings(database_url=database_url)).runtime
    async with in_memory(runtime), runtime.pool.acquire() as conn:
        for first, last in ((1, 900), (901, 2400)):  # a busy spell, most of it since the statistics were gathered
            await conn.execute(
                "INSERT INTO complaints (complaint_id, tracking_number, channel, channel_message_id, report_type,"
                " title, anonymous, confidential, submitted_at, text_fingerprint)"
                " SELECT gen_random_uuid(), 'T' || i, 'web', 'm' || i, 'pengaduan', 'Judul', false, false, now(),"
                " 'jalan berlubang ' || i FROM generate_series($1::int, $2::int) AS i", first, last)
            await conn.execute(
                "INSERT INTO reporter_activity (identity_hash, accepted_at, complaint_id)"
                " SELECT sha256(complaint_id::text::bytea), now() - random() * interval '5 minutes', complaint_id"
                " FROM complaints WHERE complaint_id NOT IN (SELECT complaint_id FROM reporter_activity)")
            if first == 1:
                await conn.execute("ANALYZE complaints, reporter_activity")
        asks = [admission.Ask("web", f"new-{i}", [bytes([i]) * 32], "jalan berlubang") for i in range(4)]
        statements: list[tuple[str, tuple]] = []

        class Explained:
            async def fetch(self, sql: str, *args: object) -> list:
                statements.append((sql, args))
                return []

        await admission.admissions(Explained(), asks, reporter_window_s=3600, channel_window_s=3600,
                                   duplicate_window_s=86400, similarity=0.8)
        [(sql, args)] = statements
        plan = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *args)

    def activity_rows_read(node: dict) -> float:
        rows = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
        own = rows * node.get("Actual Loops", 1) if node.get("Relation Name") == "reporter_activity" else 0
        return own + sum(activity_rows_read(child) for child in node.get("Plans", ()))

    assert activity_rows_read(plan[0]["Plan"]) == 0  # none of the 2,400 rows is theirs
