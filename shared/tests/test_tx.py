"""What a use case emits: envelopes that inherit the message they answer, unless told otherwise."""

from __future__ import annotations

from uuid import uuid4

import asyncpg
import pytest

from lapor_shared.events import decode
from lapor_shared.events.lifecycle import ComplaintReopened
from lapor_shared.outbox import Outbox
from lapor_shared.testing import factories as f
from lapor_shared.topics import COMPLAINTS, agency_stream, jurisdiction_topic
from lapor_shared.tx import Tx
from lapor_shared.views import WITHHELD

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


async def outbox_rows(pool: asyncpg.Pool) -> list[tuple[str, dict]]:
    rows = await pool.fetch("SELECT topic, payload FROM outbox ORDER BY id")
    return [(r["topic"], decode(bytes(r["payload"]))) for r in rows]


async def test_an_emitted_event_inherits_the_ids_and_story_of_the_message_it_answers(pool):
    cause = f.routed_envelope()
    async with pool.acquire() as conn, conn.transaction():
        emitted = await Tx(conn, Outbox(), "followup", cause).emit(ComplaintReopened(by="reporter"))

    assert (emitted.complaint_id, emitted.tracking_number, emitted.jurisdiction_code) == (
        cause.complaint_id, cause.tracking_number, cause.jurisdiction_code)
    assert (emitted.correlation_id, emitted.causation_id, emitted.producer) == (
        cause.correlation_id, cause.event_id, "followup")
    assert await outbox_rows(pool) == [(COMPLAINTS.name, emitted), (jurisdiction_topic("18.71"), emitted)]


async def test_an_event_without_a_cause_of_its_own_joins_the_story_it_is_told_and_names_its_cause(pool):
    story, planned_by = uuid4(), uuid4()
    async with pool.acquire() as conn, conn.transaction():
        emitted = await Tx(conn, Outbox(), "notify").emit(
            ComplaintReopened(by="system"), complaint_id=uuid4(), tracking_number="LPR-TEST-00000",
            correlation_id=story, causation_id=planned_by,
        )

    assert (emitted.correlation_id, emitted.causation_id, emitted.jurisdiction_code) == (story, planned_by, None)
    assert await outbox_rows(pool) == [(COMPLAINTS.name, emitted)]


async def test_an_answer_can_refuse_the_jurisdiction_its_command_claimed_and_keep_its_story(pool):
    command = f.envelope(ComplaintReopened(by="someone"), complaint_id=uuid4(), jurisdiction_code="18")
    async with pool.acquire() as conn, conn.transaction():
        emitted = await Tx(conn, Outbox(), "intake", command).emit(
            ComplaintReopened(by="intake"), caused_by=None, complaint_id=command.complaint_id,
            correlation_id=command.correlation_id, causation_id=command.event_id,
        )

    assert emitted.jurisdiction_code is None
    assert (emitted.correlation_id, emitted.causation_id) == (command.correlation_id, command.event_id)
    assert [topic for topic, _ in await outbox_rows(pool)] == [COMPLAINTS.name]


async def test_a_rahasia_complaints_event_is_whole_on_its_agencys_stream_and_withheld_on_the_shared_topic(pool):
    async with pool.acquire() as conn, conn.transaction():
        emitted = await Tx(conn, Outbox(), "followup").emit(
            ComplaintReopened(by="reporter", reason="Jalan di depan rumah saya belum diperbaiki."),
            complaint_id=uuid4(), tracking_number="LPR-TEST-00000", jurisdiction_code="18.71",
            agency_id="pu.18.71", confidential=True,
        )

    rows = dict(await outbox_rows(pool))
    assert list(rows) == [COMPLAINTS.name, jurisdiction_topic("18.71"), agency_stream("18.71", "pu.18.71")]
    assert rows[COMPLAINTS.name] == rows[agency_stream("18.71", "pu.18.71")] == emitted
    assert rows[jurisdiction_topic("18.71")].payload.reason == WITHHELD
    assert {e.event_id for e in rows.values()} == {emitted.event_id}


async def test_add_many_writes_the_envelopes_emit_would_have_written_and_counts_them_as_emitted(pool):
    cause = f.routed_envelope()
    async with pool.acquire() as conn, conn.transaction():
        tx = Tx(conn, Outbox(), "notify", cause)
        built = [tx.envelope(ComplaintReopened(by="reporter")), tx.envelope(ComplaintReopened(by="system"),
                                                                             causation_id=uuid4())]
        await tx.add_many(built)

    assert tx.emitted == built
    assert built[0].causation_id == cause.event_id and built[1].causation_id != cause.event_id
    assert await outbox_rows(pool) == [(topic, e) for e in built for topic in (COMPLAINTS.name,
                                                                                jurisdiction_topic("18.71"))]
