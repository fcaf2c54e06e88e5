"""The read model fed by lifecycle events on the in-memory broker, stored in a real PostgreSQL."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from lapor_dashboard import rebuild, repository
from lapor_dashboard.figures import ADDITIVE, Group
from lapor_shared.events import encode
from lapor_shared.events.intake import ReporterContactShared
from lapor_shared.events.lifecycle import ActionRejected
from lapor_shared.regions import all_regions
from lapor_shared.testing import factories
from lapor_shared.topics import COMPLAINTS

from .conftest import NOW, SECRET_TITLE, T0, Story, sample_stories

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def summed(groups: list[Group]) -> dict[str, Any]:
    total: dict[str, Any] = dict.fromkeys(ADDITIVE, 0)
    statuses: Counter[str] = Counter()
    for group in groups:
        for key in ADDITIVE:
            total[key] += getattr(group, key)
        statuses.update(group.by_status)
    return {**total, "by_status": {k: v for k, v in statuses.items()}}


def additive(group: Group) -> dict[str, Any]:
    data = group.additive()
    return {**data, "by_status": {k: v for k, v in data["by_status"].items()}}


def records_of(bodies: list[bytes]) -> list[Any]:
    """Published bodies as the Kafka records a rebuild reads (one partition, in the given order)."""
    return [SimpleNamespace(value=body, topic=COMPLAINTS.name, partition=0, offset=i, headers=[], key=None)
            for i, body in enumerate(bodies)]


async def test_a_province_figures_equal_the_sum_of_its_regencies_and_its_own_level(dashboard):
    async with dashboard() as h:
        await h.tell(*sample_stories())
        lampung = await h.figures("18")

        assert lampung.total.total == 12  # 18.04 went to national triage
        assert additive(lampung.total) == summed(lampung.children)
        assert {g.key for g in lampung.children if g.kind == "child"} == {
            code for code, region in all_regions().items() if region.parent_code == "18"
        }
        own = [g for g in lampung.children if g.kind == "own"]
        assert [g.key for g in own] == ["18"] and own[0].total == 3  # the province's agency, forwarded, triage
        for child in [g for g in lampung.children if g.kind == "child" and g.total]:
            regency = await h.figures(child.key)
            assert additive(regency.total) == additive(child)
        assert additive(lampung.total) == summed(lampung.agencies)


async def test_the_nation_figures_equal_the_sum_of_its_provinces_and_national_bodies(dashboard):
    async with dashboard() as h:
        await h.tell(*sample_stories())
        nation = await h.figures("ID")

        assert nation.total.total == len(sample_stories())
        assert additive(nation.total) == summed(nation.children)
        assert len([g for g in nation.children if g.kind == "child"]) == 38
        assert next(g for g in nation.children if g.kind == "own").total == 2  # the ministry, national triage
        aceh = await h.figures("11")
        assert additive(aceh.total) == additive(next(g for g in nation.children if g.key == "11"))


async def test_the_figures_of_a_regency_say_what_happened_there(dashboard):
    async with dashboard() as h:
        await h.tell(*sample_stories())
        f = await h.figures("18.71")
        g = f.total

        assert (g.total, g.open, g.overdue_now, g.escalations) == (5, 3, 3, 1)
        assert g.by_status["closed"] == 2 and g.by_status["acknowledged"] == 1
        # answered: one within its 5 days, one after its 2 days; unanswered and past the deadline: three
        assert (g.answered, g.on_time, g.decided) == (2, 1, 5)
        assert g.on_time_share == 0.2
        assert g.median_response_s == pytest.approx(((2 + 30) + 72) / 2 * 3600)
        assert (g.rating_count, g.mean_rating) == (2, 3.5)
        # the most late first: the breached one was due 5 days after day 2, the confidential one after day 3
        assert [o.title for o in f.overdue] == ["Jalan berlubang di depan sekolah", SECRET_TITLE,
                                                "Jalan berlubang di depan sekolah"]
        assert f.overdue[0].late_s > f.overdue[1].late_s > f.overdue[2].late_s > 0
        assert f.overdue[0].escalations == 1
        assert sum(f.daily.received) == 5 and sum(f.weekly.received) == 5
        assert sum(f.daily.closed) == 2 and sum(f.daily.responded) == 2


async def test_the_ranking_puts_the_worst_jurisdiction_and_agency_first(dashboard):
    async with dashboard() as h:
        await h.tell(*sample_stories())
        lampung = await h.figures("18")
        assert [g.key for g in lampung.children[:3]] == ["18.71", "18.01", "18"]
        assert lampung.children[0].overdue_now == 3
        assert all(g.total == 0 for g in lampung.children[4:])
        assert lampung.agencies[0].key == "umum.18.71"


async def test_a_replay_in_any_order_rebuilds_the_same_figures(dashboard):
    async with dashboard() as h:
        await h.tell(*sample_stories())
        before = {node: (await h.figures(node)).fingerprint() for node in ("ID", "18", "18.71", "18.01", "11")}
        rows_before = [dict(r) | {"updated_at": None} for r in await repository.all_rows(h.pool)]
        assert len(rows_before) == len(sample_stories())

        shuffled = list(h.told)
        random.Random(1708).shuffle(shuffled)
        await rebuild.reset(h.pool)
        assert await h.sql("SELECT * FROM complaints") == []
        await rebuild.replay(rebuild.projector_consumer(h.pool, h.settings), [records_of(shuffled)])

        after = {node: (await h.figures(node)).fingerprint() for node in before}
        assert after == before
        assert [dict(r) | {"updated_at": None} for r in await repository.all_rows(h.pool)] == rows_before


async def test_an_event_delivered_twice_counts_once(dashboard):
    async with dashboard() as h:
        story = Story("18.71").routed().deadline(days=5).breached().escalated(1)
        await h.tell(story)
        await h.publish(*story.events)  # redelivery after a rebalance

        f = await h.figures("18.71")
        assert (f.total.total, f.total.escalations) == (1, 1)
        assert len(await h.sql("SELECT * FROM complaint_events")) == len(story.events)


async def test_events_the_dashboard_does_not_read_are_ignored(dashboard):
    async with dashboard() as h:
        story = Story("18.71").routed()
        rejected = factories.envelope(ActionRejected(command_type="agency.respond", command_id=story.accepted.event_id,
                                                     reason=factories.reason()), caused_by=story.events[-1])
        contact = factories.envelope(ReporterContactShared(reporter_ref=story.reporter_ref, channel="web",
                                                           key_id="dev", ciphertext="gAAAA"), caused_by=story.accepted)
        future = json.loads(encode(story.events[-1]))
        future.update(event_type="complaint.something_new", schema_version=1, event_id=str(factories.uuid4()))
        await h.tell(story)
        await h.publish(rejected, contact)
        await h.broker.publish(json.dumps(future).encode(), topic=COMPLAINTS.name)

        rows = await h.sql("SELECT status FROM complaints")
        assert [r["status"] for r in rows] == ["routed"]
        assert {r["event_type"] for r in await h.sql("SELECT event_type FROM complaint_events")} == {
            "complaint.accepted", "complaint.routed"}


async def test_an_anonymous_reporter_leaves_no_trace_in_the_read_model(dashboard):
    async with dashboard() as h:
        anonymous = Story("18.71", anonymous=True).routed().deadline(days=5).responded().closed().rated(4)
        named = Story("18.71").routed()
        assert named.reporter_ref is not None and anonymous.reporter_ref is None
        await h.tell(anonymous, named)

        dump = await h.pool.fetchval(
            "SELECT string_agg(t::text, ' ') FROM (SELECT row_to_json(c) AS t FROM complaints c"
            " UNION ALL SELECT row_to_json(e) FROM complaint_events e) x"
        )
        assert str(named.reporter_ref) not in dump
        refs = {getattr(e.payload, "reporter_ref", None) for e in anonymous.events + named.events} - {None}
        assert refs == {named.reporter_ref}
        assert "reporter" not in dump and "anonym" not in dump
        assert "Sudah kami perbaiki" not in dump and "Terima kasih" not in dump  # no texts in the event log
        columns = {r["column_name"] for r in await h.sql(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'dashboard'"
            " AND table_name IN ('complaints', 'complaint_events')")}
        assert not {c for c in columns if "reporter" in c or "anonym" in c or "contact" in c}


async def test_a_confidential_title_is_withheld_outside_the_responsible_levels(dashboard):
    async with dashboard() as h:
        secret = Story("18.71", confidential=True, title=SECRET_TITLE, at=NOW - timedelta(days=9))
        await h.tell(secret)  # accepted, not routed yet: only the national verifiers may read it
        due = NOW - timedelta(days=1)

        def titles(f):
            return [o.title for o in f.overdue]

        for viewer in ("18.71", "18"):
            f = await h.figures("18.71", viewer_scope=viewer)
            assert f.total.total == 1
        secret.routed().deadline(days=(due - secret.at).total_seconds() / 86400)
        await h.publish(*secret.events[1:])
        assert titles(await h.figures("18.71", viewer_scope="18.71")) == [SECRET_TITLE]
        assert titles(await h.figures("18", viewer_scope="18")) == [SECRET_TITLE]
        assert titles(await h.figures("ID", viewer_scope="ID")) == [SECRET_TITLE]

        secret.forwarded("18.01")  # pelimpahan: now Lampung Selatan answers for it
        await h.publish(*secret.events[-2:])
        row = (await h.sql("SELECT responsible_code, jurisdiction_code FROM complaints"))[0]
        assert (row["responsible_code"], row["jurisdiction_code"]) == ("18.01", "18.01")


async def test_an_unrouted_confidential_complaint_shows_rahasia_to_the_regency_and_the_title_to_the_nation(dashboard):
    async with dashboard() as h:
        secret = Story("18.71", confidential=True, title=SECRET_TITLE, at=T0)
        await h.tell(secret)
        async with h.client() as client:
            await h.login(client, "bandarlampung")
            regency = await client.get(f"/complaints/{secret.tracking_number}")
            await h.login(client, "nasional")
            nation = await client.get(f"/complaints/{secret.tracking_number}")
        assert regency.status_code == 200 and nation.status_code == 200
        assert SECRET_TITLE not in regency.text and "[rahasia]" in regency.text
        assert SECRET_TITLE in nation.text
