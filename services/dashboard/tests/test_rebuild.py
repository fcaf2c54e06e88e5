"""``python -m lapor_dashboard.rebuild`` against a real Kafka-protocol broker: the read model thrown away
and rebuilt from ``lapor.complaints`` equals the one the live consumer built."""

from __future__ import annotations

import pytest

from lapor_dashboard import rebuild, repository
from lapor_dashboard.settings import DashboardSettings
from lapor_shared.testing.kafka_io import publish
from lapor_shared.topics import COMPLAINTS

from .conftest import NOW, all_events, sample_stories

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

NODES = ("ID", "18", "18.71", "18.01", "11", "31")


def comparable(rows) -> list[dict]:
    return [dict(r) | {"updated_at": None} for r in rows]


async def test_a_rebuild_from_kafka_gives_the_figures_the_live_consumer_gave(dashboard, kafka_bootstrap, database_url):
    stories = sample_stories()
    events = all_events(stories)
    async with dashboard() as h:  # the live consumer (in memory) builds the read model event by event
        await h.publish(*events)
        live = {node: (await h.figures(node)).fingerprint() for node in NODES}
        live_rows = comparable(await repository.all_rows(h.pool))
    await publish(kafka_bootstrap, COMPLAINTS.name, events)  # the same story on a real broker

    settings = DashboardSettings(database_url=database_url, kafka_bootstrap_servers=kafka_bootstrap)
    first = await rebuild.rebuild(settings, timeout_s=60)
    second = await rebuild.rebuild(settings, timeout_s=60)

    assert (first.records, first.processed, first.complaints) == (len(events), len(events), len(stories))
    assert (second.records, second.complaints) == (len(events), len(stories))
    assert first.group_id != second.group_id and first.group_id.startswith("lapor-dashboard-rebuild-")
    async with dashboard() as h:
        rebuilt = {node: (await h.figures(node, now=NOW)).fingerprint() for node in NODES}
        assert rebuilt == live
        assert comparable(await repository.all_rows(h.pool)) == live_rows
        assert len(await h.sql("SELECT * FROM users")) == 3  # the officials survive a rebuild
