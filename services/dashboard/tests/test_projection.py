"""The pure parts: the fold of a complaint's events, the public-safe event log, scopes, passwords."""

from __future__ import annotations

import json
import random
import re
from datetime import timedelta

import pytest

from lapor_dashboard import auth, i18n, projection, scope

from .conftest import SECRET_TITLE, T0, Story, sample_stories

pytestmark = pytest.mark.unit


def entries(story: Story) -> list[projection.LogEntry]:
    return [e for e in (projection.log_entry(env) for env in story.events) if e is not None]


def test_the_row_depends_on_the_events_not_on_the_order_they_arrived_in():
    rng = random.Random(62)
    for story in sample_stories():
        expected = projection.fold(entries(story))
        for _ in range(15):
            shuffled = entries(story)
            rng.shuffle(shuffled)
            assert projection.fold(shuffled) == expected


def test_the_event_log_never_holds_content_or_anything_about_the_reporter():
    story = Story("18.71", confidential=True, title=SECRET_TITLE).routed().deadline().acknowledged().responded()
    story.closed().rated(2).reopened()
    logged = json.dumps([e.facts for e in entries(story)])
    assert len(entries(story)) == len(story.events)
    for forbidden in (SECRET_TITLE, "Jalan di depan", "Sudah kami perbaiki", "Terima kasih", "Belum beres",
                      str(story.reporter_ref), "reporter", "officer", "description", "text"):
        assert forbidden not in logged


def test_an_answer_by_the_deadline_is_on_time_and_one_after_it_is_not():
    on_time = projection.fold(entries(Story().routed().deadline(days=5).responded(hours=48)))
    late = projection.fold(entries(Story().routed().deadline(days=1).responded(hours=48)))
    assert (on_time.answered_on_time, late.answered_on_time) == (True, False)
    assert on_time.first_response_at == T0 + timedelta(hours=1 + 48)
    assert on_time.due_at is None and on_time.stage == "auto_close"  # the reporter's clock owes nothing


def test_a_breach_makes_the_complaint_overdue_until_the_agency_answers():
    breached = Story().routed().deadline(days=5).breached().escalated(1)
    row = projection.fold(entries(breached))
    assert (row.overdue, row.escalations, row.escalation_level, row.status) == (True, 1, 1, "routed")
    row = projection.fold(entries(breached.responded()))
    assert (row.overdue, row.due_at, row.status, row.answered_on_time) == (False, None, "responded", False)


def test_closing_archiving_and_reopening_set_the_status():
    assert projection.fold(entries(Story().triage().archived())).status == "archived"
    assert projection.fold(entries(Story().routed().closed("archived"))).status == "archived"
    closed = Story().routed().deadline().responded().closed()
    assert projection.fold(entries(closed)).status == "closed"
    reopened = projection.fold(entries(closed.reopened()))
    assert (reopened.status, reopened.closed_at) == ("reopened", None)


def test_a_forwarded_complaint_moves_to_the_new_agency_and_its_jurisdiction():
    row = projection.fold(entries(Story("18.71").routed().forwarded("18")))
    assert (row.jurisdiction_code, row.responsible_code, row.agency_id, row.status) == ("18", "18", "umum.18", "routed")
    assert row.routed_at == T0 + timedelta(hours=1)  # the first routing counts for the response time


def test_a_complaint_not_routed_yet_sits_where_it_happened_and_only_the_nation_may_read_it():
    row = projection.fold(entries(Story("18.71")))
    assert (row.jurisdiction_code, row.responsible_code, row.status) == ("18.71", "ID", "submitted")
    assert not scope.content_visible("18.71", row.responsible_code)
    assert scope.content_visible("ID", row.responsible_code)


def test_a_scope_contains_its_own_subtree_only():
    assert scope.contains("ID", "18.71") and scope.contains("18", "18.71") and scope.contains("18.71", "18.71")
    assert not scope.contains("18.71", "18") and not scope.contains("18.71", "18.01")
    assert not scope.contains("1", "18") and not scope.contains("18.7", "18.71") and not scope.contains("18", "ID")
    assert scope.path("18.71", "ID") == ["ID", "18", "18.71"] and scope.path("18.71", "18") == ["18", "18.71"]
    assert len(scope.children("18")) == 15 and len(scope.children("ID")) == 38 and scope.children("18.71") == ()


def test_a_confidential_title_is_shown_to_the_responsible_level_and_above_only():
    def shown(viewer: str) -> str:
        return scope.shown_title(SECRET_TITLE, confidential=True, responsible_code="18.71", viewer_scope=viewer)

    assert [shown(v) for v in ("18.71", "18", "ID")] == [SECRET_TITLE] * 3
    assert [shown(v) for v in ("18.01", "11")] == ["[rahasia]"] * 2


def test_passwords_are_hashed_with_scrypt_and_checked_in_constant_time():
    stored = auth.hash_password("rahasia-sekali")
    assert stored.startswith("scrypt$") and "rahasia-sekali" not in stored
    assert auth.verify_password("rahasia-sekali", stored)
    assert not auth.verify_password("rahasia-sekal1", stored)
    assert not auth.verify_password("rahasia-sekali", "scrypt$broken")
    assert auth.hash_password("x") != auth.hash_password("x")  # salted


def test_numbers_read_naturally_in_both_languages():
    assert i18n.duration(5400, "id") == "1,5 jam" and i18n.duration(5400, "en") == "1.5 h"
    assert i18n.duration(3 * 86400, "id") == "3,0 hari" and i18n.duration(600, "en") == "10 min"
    assert i18n.percent(0.756, "id") == "76%" and i18n.percent(None, "en") == "–"
    assert i18n.when(T0, "id") == "2 Mar 2026 09:00 WIB"
    assert i18n.status_label("closed", "id") == "Selesai" and i18n.status_label("closed", "en") == "Closed"


def test_charts_are_inline_svg_with_whole_number_axes_with_or_without_data():
    from datetime import date

    from lapor_dashboard import charts
    from lapor_dashboard.figures import Group, NodeFigures, Trend

    def node(counts: list[int]) -> NodeFigures:
        days = [date(2026, 3, d) for d in range(1, len(counts) + 1)]
        trend = Trend("day", days, counts, [0] * len(counts), counts)
        total = Group("", "node", total=sum(counts), open=sum(counts))
        total.by_status["routed"] = sum(counts)
        children = [Group(code, "child", total=n, open=n) for code, n in zip(scope.children("18"), counts,
                                                                                  strict=False)]
        return NodeFigures("18", T0, total, children, [], [], trend, trend)

    for counts, lang in (([0, 0, 0], "id"), ([1, 7, 2], "en")):
        drawn = charts.charts(node(counts), lang)
        assert set(drawn) == {"status", "daily", "weekly", "children"}
        for svg in drawn.values():
            assert svg.startswith("<svg") and "<script" not in svg and "http://kozea" not in svg.split("-->")[-1]
    empty, full = charts.charts(node([0, 0, 0]), "id"), charts.charts(node([1, 7, 2]), "en")
    assert "Belum ada data" in empty["daily"]
    ticks = re.findall(r'class="(?:major|minor)">([^<]+)<', full["daily"])
    assert "8" in ticks and not [t for t in ticks if re.fullmatch(r"\d+\.\d+", t)] and "Received" in full["daily"]
