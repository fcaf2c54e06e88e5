"""The pages, the CSV exports and the live stream: who may see what, in which language."""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import io

import pytest

from lapor_dashboard.tables import TABLES

from .conftest import SECRET_TITLE, Story, sample_stories, sse_events

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def guarded_urls(node: str, tracking_number: str) -> list[str]:
    return [
        f"/dashboard?node={node}", *[f"/export/{name}.csv?node={node}" for name in TABLES],
        f"/events/stream?node={node}", f"/complaints/{tracking_number}", f"/complaints/{tracking_number}?format=csv",
    ]


async def test_a_regency_user_is_refused_another_regency_and_its_province_everywhere(dashboard):
    async with dashboard(live_max_stream_s=0.5) as h:
        elsewhere = Story("18.01").routed().deadline(days=1)
        province = Story("18.72").routed("18").deadline(days=1)
        home = Story("18.71").routed()
        await h.tell(elsewhere, province, home)
        async with h.client() as client:
            await h.login(client, "bandarlampung")
            for node, story in (("18.01", elsewhere), ("18", province), ("ID", province), ("11", elsewhere)):
                for url in guarded_urls(node, story.tracking_number):
                    response = await client.get(url)
                    assert response.status_code == 403, url
                    assert "Jalan berlubang" not in response.text and "Unit Pengaduan" not in response.text
            for url in guarded_urls("18.71", home.tracking_number):
                assert (await client.get(url)).status_code == 200, url


async def test_a_province_user_sees_its_regencies_but_not_another_province_or_the_nation(dashboard):
    async with dashboard(live_max_stream_s=0.5) as h:
        await h.tell(*sample_stories())
        async with h.client() as client:
            await h.login(client, "lampung")
            for node in ("18", "18.71", "18.01", "18.13"):
                assert (await client.get(f"/dashboard?node={node}")).status_code == 200, node
            for node in ("11", "11.01", "ID", "31.71"):
                for url in guarded_urls(node, "LPR-0000-00000")[:-2]:
                    assert (await client.get(url)).status_code == 403, url
            page = await client.get("/dashboard")  # no node: the user's own scope
            assert page.status_code == 200 and 'data-node="18"' in page.text
            assert (await client.get("/dashboard?node=99.99")).status_code == 404


async def test_without_a_login_pages_lead_to_the_login_and_data_answers_401(dashboard):
    async with dashboard() as h:
        async with h.client() as client:
            page = await client.get("/dashboard?node=18")
            assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Fdashboard%3Fnode%3D18"
            assert (await client.get("/export/children.csv?node=18")).status_code == 401
            assert (await client.get("/events/stream?node=18")).status_code == 401
            assert (await client.get("/complaints/LPR-0000-00000")).status_code == 303
            client.cookies.set("lapor_dasbor", "eyJ1IjoibmFzaW9uYWwifQ.forged.signature")
            assert (await client.get("/export/children.csv?node=ID")).status_code == 401


async def test_logging_out_ends_the_session_for_every_copy_of_its_cookie(dashboard):
    async with dashboard() as h:
        async with h.client() as client, h.client() as copy:
            await h.login(client, "lampung")
            copy.cookies.set("lapor_dasbor", client.cookies["lapor_dasbor"])
            assert (await copy.get("/dashboard?node=18")).status_code == 200

            out = await client.post("/logout")

            assert out.status_code == 303 and out.headers["location"] == "/login"
            assert (await copy.get("/dashboard?node=18")).status_code == 303
            assert (await copy.get("/export/children.csv?node=18")).status_code == 401


async def test_a_tampered_or_foreign_session_cookie_is_no_login(dashboard):
    async with dashboard() as h, dashboard(session_secret="b" * 40) as other:
        async with h.client() as client, other.client() as elsewhere:
            await h.login(client, "lampung")
            token = client.cookies["lapor_dasbor"]
            tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
            for cookie, app in ((tampered, h), (token, other)):
                probe = elsewhere if app is other else client
                probe.cookies.set("lapor_dasbor", cookie)
                assert (await probe.get("/export/children.csv?node=18")).status_code == 401


async def test_a_wrong_password_is_refused_and_the_login_goes_back_to_the_page_asked_for(dashboard):
    async with dashboard() as h:
        async with h.client() as client:
            wrong = await client.post("/login", data={"username": "lampung", "password": "tebakan"})
            assert wrong.status_code == 401 and "salah" in wrong.text
            assert (await client.get("/dashboard")).status_code == 303
            back = await client.post("/login", data={"username": "lampung", "password": h.settings.demo_password,
                                                     "next": "/dashboard?node=18.71"})
            assert back.headers["location"] == "/dashboard?node=18.71"
            outside = await client.post("/login", data={"username": "lampung", "password": h.settings.demo_password,
                                                        "next": "//evil.example/"})
            assert outside.headers["location"] == "/dashboard"
            cookie = outside.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=lax" in cookie


async def test_every_table_exports_as_csv_with_the_figures_of_the_page(dashboard):
    async with dashboard() as h:
        await h.tell(*sample_stories())
        figures = await h.figures("18", viewer_scope="18")
        async with h.client() as client:
            await h.login(client, "lampung")
            exported = {}
            for name in TABLES:
                response = await client.get(f"/export/{name}.csv?node=18")
                assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
                assert f"lapor-{name}-18.csv" in response.headers["content-disposition"]
                exported[name] = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
                assert len(exported[name]) >= 2, name
        children = {row[0].split(" ")[0]: row for row in exported["children"][1:]}
        assert set(children) == {g.key for g in figures.children}
        assert int(children["18.71"][1]) == 5 and int(children["18.71"][3]) == 3
        assert exported["children"][0][:4] == ["Wilayah", "Jumlah laporan", "Belum selesai", "Terlambat sekarang"]
        assert [row[0] for row in exported["overdue"][1:]] == [o.tracking_number for o in figures.overdue]
        status = {row[0]: int(row[1]) for row in exported["status"][1:]}
        assert status == figures.total.by_status


async def test_the_page_speaks_english_when_asked_and_remembers_it(dashboard):
    async with dashboard() as h:
        await h.tell(*sample_stories())
        async with h.client() as client:
            await h.login(client, "lampung")
            indonesian = await client.get("/dashboard?node=18")
            assert "Terlambat sekarang" in indonesian.text and 'lang="id"' in indonesian.text
            english = await client.get("/dashboard?node=18&lang=en")
            assert "Overdue now" in english.text and 'lang="en"' in english.text
            assert "lang=en" in english.headers["set-cookie"]
            again = await client.get("/dashboard?node=18.71")
            assert "Overdue now" in again.text and "Kota Bandar Lampung" in again.text
            assert "<svg" in again.text and "Content-Security-Policy" in again.headers


async def test_the_history_page_lists_the_lifecycle_of_a_complaint(dashboard):
    async with dashboard() as h:
        story = Story("18.71", confidential=True, title=SECRET_TITLE).routed().deadline(days=5).breached()
        story.escalated(1).responded().closed().rated(4)
        await h.tell(story)
        async with h.client() as client:
            await h.login(client, "bandarlampung")
            page = await client.get(f"/complaints/{story.tracking_number}")
            assert page.status_code == 200
            assert SECRET_TITLE in page.text  # Bandar Lampung answers for it
            for label in ("Laporan diterima platform", "Didisposisikan ke instansi", "Tenggat terlewati",
                          "Dieskalasi ke tingkat atas", "Ditindaklanjuti instansi", "Pelapor memberi penilaian"):
                assert label in page.text
            exported = await client.get(f"/complaints/{story.tracking_number}?format=csv")
            rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
            assert [r[1] for r in rows[1:]] == [e.event_type for e in story.events]
            assert SECRET_TITLE not in exported.text and str(story.reporter_ref) not in exported.text
            assert (await client.get("/complaints/LPR-ZZZZ-ZZZZZ")).status_code == 404


async def test_the_live_stream_pushes_the_figures_and_again_when_they_change(dashboard):
    async with dashboard(live_interval_s=0.2, live_max_stream_s=3.0) as h:
        await h.tell(Story("18.71").routed())
        async with h.client() as client:
            await h.login(client, "lampung")
            streaming = asyncio.create_task(client.get("/events/stream?node=18"))
            await asyncio.sleep(1.0)
            await h.tell(Story("18.01").routed(), Story("18.71").routed())
            response = await streaming
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        pushed = [data for kind, data in sse_events(response.text) if kind == "figures"]
        totals = [p["total"] for p in pushed]
        assert totals[0] == 1 and totals[-1] == 3  # the first figures at once, then after each change
        assert totals == sorted(set(totals))  # pushed only on a change, never the same figures twice
        assert 'data-key="18.01"' in pushed[-1]["html"] and "<svg" in pushed[-1]["html"]


async def test_an_official_added_with_the_users_command_sees_exactly_their_regency(dashboard):
    from lapor_dashboard import users

    async with dashboard(demo_users=False) as h:
        assert await users.add(h.settings, "Tanggamus", "18.06", "kata-sandi-panjang", display_name=None,
                               role="monitor", replace=False)
        assert not await users.add(h.settings, "tanggamus", "18.06", "lain-lagi-12345", display_name=None,
                                   role="monitor", replace=False)
        assert users.main(["add", "siapa", "99.99"]) == 2  # an unknown node is refused before anything
        async with h.client() as client:
            assert (await client.post("/login", data={"username": "lampung", "password": "lapor1708"})
                    ).status_code == 401  # no demo officials when they are switched off
            await h.login(client, "tanggamus", "kata-sandi-panjang")
            assert (await client.get("/dashboard")).status_code == 200
            assert (await client.get("/dashboard?node=18.06")).status_code == 200
            assert (await client.get("/dashboard?node=18")).status_code == 403


async def test_password_guessing_is_refused_with_retry_after_once_the_login_bucket_is_empty(dashboard):
    async with dashboard(http={"rate_login": {"per_minute": 6, "burst": 3}}) as h:
        async with h.client() as client:
            guesses = [await client.post("/login", data={"username": "lampung", "password": f"tebakan{n}"},
                                         headers={"accept": "text/html"}) for n in range(4)]
            right_but_too_soon = await client.post("/login", data={"username": "lampung",
                                                                  "password": h.settings.demo_password})
            assert (await client.get("/login")).status_code == 200  # the page itself is not limited

    assert [g.status_code for g in guesses] == [401, 401, 401, 429]
    assert guesses[3].headers["retry-after"] == "10"
    assert "Terlalu banyak permintaan" in guesses[3].text and "Too many requests" in guesses[3].text
    assert right_but_too_soon.status_code == 429


def slow_hash(password: str) -> str:
    """A stored hash whose check takes about a second (scrypt with p=16; the cost is read from the hash)."""
    salt = b"garam-yang-tetap"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=16, dklen=32)
    b64 = base64.urlsafe_b64encode
    return f"scrypt${2**14}$8$16${b64(salt).decode()}${b64(digest).decode()}"


async def test_password_hashing_leaves_the_event_loop_free(dashboard):
    from lapor_dashboard import repository

    async with dashboard() as h:
        await repository.add_user(h.pool, username="lambat", password_hash=await asyncio.to_thread(slow_hash, "x"),
                                  scope_code="18", role="monitor", display_name=None)
        async with h.client() as client:
            stalls: list[float] = []

            async def tick() -> None:
                loop = asyncio.get_running_loop()
                while True:
                    before = loop.time()
                    await asyncio.sleep(0.005)
                    stalls.append(loop.time() - before)

            ticker = asyncio.create_task(tick())
            started = asyncio.get_running_loop().time()
            login = await client.post("/login", data={"username": "lambat", "password": "salah"})
            took = asyncio.get_running_loop().time() - started
            ticker.cancel()

    assert login.status_code == 401
    assert took > 0.3  # the check did take its time …
    assert stalls and max(stalls) < took / 3  # … and the loop went on meanwhile (on the loop: no tick at all)
