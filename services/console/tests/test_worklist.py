"""The work list and the complaint page: the officer's agency's open complaints, nearest deadline first,
coloured by urgency; another agency's complaint is not there and its page answers 404 like an unknown one."""

from __future__ import annotations

import pytest

from lapor_shared.events.lifecycle import ComplaintClosed, ComplaintReporterReplied, DeadlineBreached
from services.console.tests.conftest import Case

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_the_work_list_shows_the_agencys_open_complaints_nearest_deadline_first_with_their_colours(console):
    late = Case().routed().deadline(hours=-1)
    soon = Case(title="Lampu jalan mati").routed().deadline(hours=5)
    later = Case(title="Sampah menumpuk di pasar").routed().deadline(hours=200)
    closed = Case(title="Sudah selesai").routed().deadline(hours=50)
    closed.add(ComplaintClosed(reason="resolved", by="petugas.bdl"))
    async with console() as h:
        await h.tell(late, soon, later, closed)
        async with h.client() as client:
            await h.login(client, "petugas.bdl")
            page = (await client.get("/")).text

    rows = [case.tracking_number for case in (late, soon, later)]
    positions = [page.index(f'data-tracking-number="{n}"') for n in rows]
    assert positions == sorted(positions), "the nearest deadline first"
    assert closed.tracking_number not in page
    assert f'<tr class="overdue" data-tracking-number="{late.tracking_number}"' in page
    assert f'<tr class="warning" data-tracking-number="{soon.tracking_number}"' in page
    assert f'<tr class="on_time" data-tracking-number="{later.tracking_number}"' in page
    assert 'data-count="open">3<' in page and 'data-count="overdue">1<' in page and 'data-count="warning">1<' in page


async def test_the_filters_narrow_the_list_by_status_and_by_text(console):
    replied = Case(title="Air PDAM keruh").routed().deadline()
    replied.add(ComplaintReporterReplied(text="Masih keruh sampai hari ini"))
    other = Case(title="Trotoar rusak").routed().deadline()
    async with console() as h:
        await h.tell(replied, other)
        async with h.client() as client:
            await h.login(client, "petugas.bdl")
            by_status = (await client.get("/", params={"status": "reporter_replied"})).text
            by_text = (await client.get("/", params={"q": "trotoar"})).text
            by_region = (await client.get("/", params={"region": "31.71"})).text

    assert replied.tracking_number in by_status and other.tracking_number not in by_status
    assert other.tracking_number in by_text and replied.tracking_number not in by_text
    assert 'id="empty"' in by_region


async def test_another_agencys_officer_never_sees_the_complaint_and_its_page_answers_404_like_an_unknown_one(console):
    case = Case(agency="umum.18.71", title="Pungli di kelurahan").routed().deadline()
    async with console() as h:
        await h.tell(case)
        async with h.client() as client:
            await h.login(client, "petugas.dinkes.bdl")
            listed = (await client.get("/")).text
            page = await client.get(f"/complaints/{case.tracking_number}")
            unknown = await client.get("/complaints/LPR-0000-0000-00000")
            stream = await client.get("/events/stream", params={"complaint": case.tracking_number})

    assert case.tracking_number not in listed and "Pungli" not in listed
    assert page.status_code == unknown.status_code == 404
    assert page.text.replace(case.tracking_number, "") == unknown.text.replace("LPR-0000-0000-00000", "")
    assert stream.status_code == 404


async def test_the_complaint_page_shows_rahasia_content_location_attachments_and_the_reporters_reply(console):
    case = Case(confidential=True, title="Pungutan liar oleh oknum").routed(
        description="Diminta uang Rp50.000 untuk surat pengantar.",
        attachments=[{"url": "https://bukti.example.org/kuitansi.jpg", "media_type": "image/jpeg", "size_bytes": 1}],
    ).deadline()
    case.add(ComplaintReporterReplied(text="Oknum itu datang lagi hari ini."))
    async with console() as h:
        await h.tell(case)
        async with h.client() as client:
            await h.login(client, "petugas.bdl")
            page = (await client.get(f"/complaints/{case.tracking_number}")).text

    assert "Pungutan liar oleh oknum" in page and "Rp50.000" in page
    assert "https://bukti.example.org/kuitansi.jpg" in page
    assert "Oknum itu datang lagi hari ini." in page and 'data-kind="complaint.reporter_replied"' in page
    assert "Rahasia" in page


async def test_an_anonim_complaint_shows_no_identity_anywhere_in_the_console(console):
    named = Case().routed().deadline()
    anonymous = Case(anonymous=True).routed().deadline()
    reporter_ref = named.events[0][1].payload.reporter_ref
    assert reporter_ref is not None and anonymous.events[0][1].payload.reporter_ref is None
    async with console() as h:
        await h.tell(named, anonymous)
        async with h.client() as client:
            await h.login(client, "petugas.bdl")
            pages = [(await client.get(p)).text for p in
                     ("/", f"/complaints/{named.tracking_number}", f"/complaints/{anonymous.tracking_number}")]
        stored = [str(r) for table in ("complaints", "timeline") for r in await h.sql(f"SELECT * FROM {table}")]

    assert "Pelapor anonim" in pages[2]
    for text in [*pages, *stored]:
        assert str(reporter_ref) not in text
        assert "reporter_ref" not in text


async def test_a_breach_turns_the_row_overdue_and_a_replayed_stream_changes_nothing(console):
    case = Case().routed().deadline(hours=30)
    case.add(DeadlineBreached(stage="follow_up", agency_id=case.agency, due_at=case.at))
    async with console() as h:
        await h.tell(case)
        await h.tell(case)  # redelivered
        rows = await h.sql("SELECT status, overdue FROM complaints")
        lines = await h.sql("SELECT count(*) AS n FROM timeline")

    assert [(r["status"], r["overdue"]) for r in rows] == [("routed", True)]
    assert lines[0]["n"] == len(case.events)


async def test_the_pages_are_in_bahasa_indonesia_first_and_english_on_request(console):
    case = Case().routed().deadline()
    async with console() as h:
        await h.tell(case)
        async with h.client() as client:
            await h.login(client, "petugas.bdl")
            indonesian = (await client.get("/")).text
            english = await client.get("/", params={"lang": "en"})
            remembered = (await client.get(f"/complaints/{case.tracking_number}")).text

    assert "Daftar kerja" in indonesian and "Work list" not in indonesian
    assert "Work list" in english.text and english.cookies.get("lang") == "en"
    assert "Acknowledge" in remembered and "Timeline" in remembered
