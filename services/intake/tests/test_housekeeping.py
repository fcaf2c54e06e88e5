"""Housekeeping: reporter activity older than both windows goes in the background, never the recent rows."""

from __future__ import annotations

import pytest

from lapor_intake.housekeeping import CHUNK, ActivityPruner
from lapor_shared.events.values import ReporterContact
from lapor_shared.testing.factories import complaint_submitted, submitted_envelope

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_activity_older_than_both_windows_is_pruned_in_chunks_and_recent_activity_stays(intake):
    recent = submitted_envelope(complaint_submitted(reporter=ReporterContact(phone="081277770001")))
    async with intake(reporter_rate_window_s=3600, duplicate_window_s=7200, activity_prune_interval_s=3600) as h:
        await h.submit(recent)
        await h.answered(recent)
        await h.sql(
            "INSERT INTO reporter_activity (identity_hash, accepted_at, complaint_id)"
            " SELECT sha256(i::text::bytea), now() - interval '3 hours', c.complaint_id"
            " FROM generate_series(1, $1::int) AS i, complaints AS c",
            CHUNK * 2 + 7,
        )
        pruner = ActivityPruner(h.runtime, older_than_s=7200, channel_window_s=60, interval_s=3600)
        deleted = await pruner.prune_once()
        left = await h.sql("SELECT count(*) AS n FROM reporter_activity")

    assert deleted == CHUNK * 2 + 7
    assert left[0]["n"] == 1  # the recent complaint's phone-number hash
