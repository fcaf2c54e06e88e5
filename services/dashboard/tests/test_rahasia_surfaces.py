"""The dashboard's pages, CSV exports and live stream and a rahasia complaint (docs/privacy.md, "Every read
surface"; the row ids are the table's). Officials are monitoring levels: the responsible jurisdiction and the
levels above it read a rahasia complaint's title (never its description, the answers or the reporter); an
official of another regency reads nothing of it, not even that it exists."""

from __future__ import annotations

import asyncio
import json

import pytest

from .conftest import SECRET_TITLE, Story, sse_events

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

ANSWER = "Sudah kami perbaiki."  # what Story.responded() answers


def rahasia_stories() -> tuple[Story, Story]:
    """A rahasia complaint of Kota Bandar Lampung gone overdue, and an answered one of Lampung Selatan (18.01),
    another regency of the same province."""
    home = Story("18.71", confidential=True, title=SECRET_TITLE).routed().deadline(days=5).breached()
    elsewhere = Story("18.01", confidential=True, title=f"{SECRET_TITLE} (Lampung Selatan)").routed()
    return home, elsewhere.deadline(days=5).responded()


async def test_p14_pages_show_the_title_to_the_responsible_level_and_above_and_refuse_another_regency(dashboard):
    async with dashboard() as h:
        home, elsewhere = rahasia_stories()
        await h.tell(home, elsewhere)
        async with h.client() as client:
            await h.login(client, "bandarlampung")
            own = [await client.get("/dashboard?node=18.71"), await client.get(f"/complaints/{home.tracking_number}")]
            refused = await client.get(f"/complaints/{elsewhere.tracking_number}")
        above = {}
        for user, node in (("lampung", "18"), ("nasional", "ID")):
            async with h.client() as client:
                await h.login(client, user)
                above[user] = [await client.get(f"/dashboard?node={node}"),
                               await client.get(f"/complaints/{home.tracking_number}")]

    for page in own + above["lampung"] + above["nasional"]:
        assert page.status_code == 200 and SECRET_TITLE in page.text
        assert ANSWER not in page.text and str(home.reporter_ref) not in page.text
    assert elsewhere.tracking_number not in own[0].text and "Lampung Selatan)" not in own[0].text
    assert refused.status_code == 403 and "Lampung Selatan)" not in refused.text


async def test_p15_csv_exports_carry_the_title_within_scope_and_never_the_answer_or_the_reporter(dashboard):
    async with dashboard() as h:
        home, elsewhere = rahasia_stories()
        await h.tell(home, elsewhere)
        async with h.client() as client:
            await h.login(client, "bandarlampung")
            overdue = await client.get("/export/overdue.csv?node=18.71")
            history = await client.get(f"/complaints/{home.tracking_number}?format=csv")
            refused = [await client.get("/export/overdue.csv?node=18.01"),
                       await client.get(f"/complaints/{elsewhere.tracking_number}?format=csv")]
        async with h.client() as client:
            await h.login(client, "lampung")
            province = await client.get("/export/overdue.csv?node=18")

    assert overdue.status_code == province.status_code == history.status_code == 200
    assert home.tracking_number in overdue.text and SECRET_TITLE in overdue.text
    assert elsewhere.tracking_number not in overdue.text
    assert home.tracking_number in province.text and SECRET_TITLE in province.text
    assert SECRET_TITLE not in history.text  # the history lists events, never content
    for export in (overdue, province, history):
        assert ANSWER not in export.text and str(home.reporter_ref) not in export.text
    assert [r.status_code for r in refused] == [403, 403]


async def test_p16_the_live_stream_of_a_regency_carries_nothing_of_another_regencys_rahasia_complaint(dashboard):
    async with dashboard(live_interval_s=0.2, live_max_stream_s=1.5) as h:
        home, elsewhere = rahasia_stories()
        await h.tell(home)
        async with h.client() as client:
            await h.login(client, "bandarlampung")
            streaming = asyncio.create_task(client.get("/events/stream?node=18.71"))
            await asyncio.sleep(0.5)
            await h.tell(elsewhere)
            response = await streaming
            refused = await client.get("/events/stream?node=18.01")

    pushed = json.dumps([data for _, data in sse_events(response.text)], ensure_ascii=False)
    assert response.status_code == 200 and '"total"' in pushed
    for absent in (elsewhere.tracking_number, "Lampung Selatan)", ANSWER, str(home.reporter_ref)):
        assert absent not in pushed
    assert refused.status_code == 403
