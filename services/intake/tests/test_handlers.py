"""Intake's subscriber on the in-memory broker, with a real database."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from lapor_intake.app import build
from lapor_intake.settings import IntakeSettings
from lapor_shared.events import encode
from lapor_shared.testing.factories import submitted_envelope
from lapor_shared.testing.service import in_memory
from lapor_shared.topics import SUBMISSION_RESULTS, SUBMISSIONS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_a_submission_redelivered_three_times_makes_one_complaint(database_url):
    runtime = build(IntakeSettings(database_url=database_url)).runtime
    results: list[bytes] = []

    @runtime.broker.subscriber(SUBMISSION_RESULTS.name, group_id="test-results")
    async def collect(body: bytes) -> None:
        results.append(body)

    envelope = submitted_envelope()
    async with in_memory(runtime) as broker:
        for _ in range(3):
            await broker.publish(encode(envelope), topic=SUBMISSIONS.name)
        runtime.relay.backlog_hint()
        for _ in range(50):
            if results:
                break
            await asyncio.sleep(0.05)
        conn = await asyncpg.connect(database_url)
        try:
            assert await conn.fetchval("SELECT count(*) FROM intake.complaints") == 1
        finally:
            await conn.close()
    assert len(results) == 1
