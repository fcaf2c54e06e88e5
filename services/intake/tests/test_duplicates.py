"""Likely duplicates are flagged and linked, never merged; the look-up stays bounded by reporter and time."""

from __future__ import annotations

import pytest

from lapor_intake.contacts import IdentityHasher
from lapor_intake.settings import IntakeSettings
from lapor_shared.events.values import ReporterContact
from lapor_shared.testing.factories import complaint_submitted, submitted_envelope

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

TEXT = dict(
    title="Lampu jalan mati di Jalan Teuku Umar",
    description="Sudah seminggu lampu jalan di depan Pasar Tugu mati, jalan gelap dan rawan kejahatan di malam hari.",
)
ALMOST_THE_SAME = dict(
    title="Lampu jalan mati di Jl. Teuku Umar!",
    description="Sudah seminggu lampu jalan di depan pasar Tugu mati; jalan gelap dan rawan kejahatan pada malam hari.",
)
SOMETHING_ELSE = dict(
    title="Sampah menumpuk di TPS Way Halim",
    description="Sampah tidak diangkut selama tiga hari, baunya menyengat sampai ke rumah warga sekitar.",
)


async def test_the_same_reporter_sending_nearly_the_same_text_is_flagged_and_linked_not_merged(intake):
    first = submitted_envelope(complaint_submitted(reporter=ReporterContact(phone="0812-7777-1234"), **TEXT))
    again = submitted_envelope(complaint_submitted(
        reporter=ReporterContact(phone="+62 812 7777 1234", email="lain@contoh.id"), anonymous=True,
        **ALMOST_THE_SAME,
    ))
    async with intake() as h:
        await h.submit(first)
        [a] = await h.answered(first)
        await h.submit(again)
        [b] = await h.answered(again)
        rows = await h.sql("SELECT complaint_id, possible_duplicate_of FROM complaints ORDER BY accepted_at")

    assert a["event_type"] == b["event_type"] == "complaint.accepted"
    assert a["payload"]["possible_duplicate_of"] is None
    assert b["payload"]["possible_duplicate_of"] == a["complaint_id"]
    assert b["complaint_id"] != a["complaint_id"]
    assert b["payload"]["reporter_ref"] is None  # anonim: flagged all the same, still no reporter ref
    assert [(str(r["complaint_id"]), r["possible_duplicate_of"] and str(r["possible_duplicate_of"])) for r in rows] == [
        (a["complaint_id"], None), (b["complaint_id"], a["complaint_id"]),
    ]


@pytest.mark.parametrize("case", ["another reporter", "another text", "no contact at all"])
async def test_only_same_reporter_and_similar_text_count_as_a_duplicate(intake, case):
    reporter = ReporterContact(email="siti@contoh.id")
    first = submitted_envelope(complaint_submitted(reporter=reporter, **TEXT))
    second = submitted_envelope({
        "another reporter": complaint_submitted(reporter=ReporterContact(email="budi@contoh.id"), **TEXT),
        "another text": complaint_submitted(reporter=reporter, **SOMETHING_ELSE),
        "no contact at all": complaint_submitted(reporter=None, **TEXT),
    }[case])
    if case == "no contact at all":
        first = submitted_envelope(complaint_submitted(reporter=None, **TEXT))
    async with intake() as h:
        await h.submit(first)
        await h.answered(first)
        await h.submit(second)
        [b] = await h.answered(second)

    assert b["event_type"] == "complaint.accepted"
    assert b["payload"]["possible_duplicate_of"] is None


async def test_an_earlier_complaint_outside_the_window_is_not_a_duplicate(intake):
    reporter = ReporterContact(phone="081277771234")
    first = submitted_envelope(complaint_submitted(reporter=reporter, **TEXT))
    second = submitted_envelope(complaint_submitted(reporter=reporter, **TEXT))
    async with intake(duplicate_window_s=3600) as h:
        await h.submit(first)
        await h.answered(first)
        await h.sql("UPDATE reporter_activity SET accepted_at = accepted_at - interval '2 hours'")
        await h.submit(second)
        [b] = await h.answered(second)

    assert b["payload"]["possible_duplicate_of"] is None


async def test_the_look_up_reads_the_reporter_index_and_never_stores_a_raw_contact(intake):
    phone = "+6281277771234"
    first = submitted_envelope(complaint_submitted(reporter=ReporterContact(phone=phone), **TEXT))
    async with intake() as h:
        await h.submit(first)
        await h.answered(first)
        # history of many other reporters, as on a national platform
        await h.sql(
            "INSERT INTO reporter_activity (identity_hash, accepted_at, complaint_id)"
            " SELECT sha256(i::text::bytea), now() - (i % 100) * interval '1 minute', c.complaint_id"
            " FROM generate_series(1, 20000) AS i, complaints AS c"
        )
        await h.sql("ANALYZE reporter_activity")
        hashes = IdentityHasher(IntakeSettings().reporter_hash_key).identity(ReporterContact(phone=phone)).hashes
        plan = "\n".join(r[0] for r in await h.sql(
            "EXPLAIN SELECT DISTINCT complaint_id FROM reporter_activity"
            " WHERE identity_hash = ANY($1::bytea[]) AND accepted_at >= now() - interval '1 day'",
            hashes,
        ))
        stored = await h.sql("SELECT identity_hash FROM reporter_activity WHERE identity_hash = ANY($1::bytea[])",
                             hashes)
        dump = b"".join(bytes(r["identity_hash"]) for r in await h.sql("SELECT identity_hash FROM reporter_activity"))

    assert "reporter_activity_pkey" in plan and "Seq Scan" not in plan, plan
    assert len(stored) == 1
    assert phone.encode() not in dump and phone[1:].encode() not in dump
