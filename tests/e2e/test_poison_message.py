"""A malformed message goes to the dead-letter topic with its reason; the partition keeps flowing."""

from __future__ import annotations

import asyncpg
import pytest

from lapor_shared.testing.kafka_io import consume, publish, publish_raw, wait_for
from lapor_shared.topics import DEAD_LETTER, SUBMISSIONS
from tests.conftest import submission

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


async def test_poison_message_is_dead_lettered_and_complaints_behind_it_still_flow(platform):
    before, after = submission(), submission()
    bootstrap = platform.bootstrap_servers
    await publish(bootstrap, SUBMISSIONS.name, [before], partition=0)
    await publish_raw(bootstrap, SUBMISSIONS.name, b'{"event_type": "complaint.submitted", "oops', partition=0)
    await publish_raw(bootstrap, SUBMISSIONS.name, b'{"event_type": "complaint.teleported", "schema_version": 1}',
                      partition=0)
    await publish(bootstrap, SUBMISSIONS.name, [after], partition=0)

    dead = await consume(bootstrap, topics=[DEAD_LETTER.name], until=lambda rs: len(rs) >= 2)
    reasons = sorted(dict(r.headers)["dlq_reason"].decode() for r in dead)
    assert len(dead) == 2
    assert reasons[0].startswith("body is not JSON")
    assert "unknown event type 'complaint.teleported'" in reasons[1]
    for record in dead:
        headers = dict(record.headers)
        assert headers["dlq_source_topic"] == SUBMISSIONS.name.encode()
        assert headers["dlq_source_partition"] == b"0"
        assert headers["dlq_consumer"] == b"intake.submissions"

    conn = await asyncpg.connect(platform.database_url)
    try:
        async def both_notified() -> bool:
            ids = {before.payload.channel_message_id, after.payload.channel_message_id}
            rows = await conn.fetch(
                "SELECT DISTINCT c.channel_message_id FROM notify.notifications n"
                " JOIN intake.complaints c USING (tracking_number)"
            )
            return ids <= {r["channel_message_id"] for r in rows}

        assert await wait_for(both_notified), "the complaint behind the poison message must still flow"
    finally:
        await conn.close()
