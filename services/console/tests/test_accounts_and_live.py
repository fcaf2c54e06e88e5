"""Accounts (the CLI, the log-in and its throttle), the supervisor's figures and the live stream."""

from __future__ import annotations

import io
import json

import pytest

from lapor_console import accounts
from lapor_console.settings import ConsoleSettings
from lapor_shared.events.lifecycle import ComplaintClosed, ComplaintRated, ComplaintReporterReplied, ComplaintResponded
from services.console.tests.conftest import Case

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def sse(text: str) -> list[dict]:
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


async def test_an_account_made_by_the_cli_logs_in_to_its_agency_and_a_generated_password_is_printed_once(
        console, database_url, monkeypatch, capsys):
    settings = ConsoleSettings(database_url=database_url, environment="development")
    monkeypatch.setattr("sys.stdin", io.StringIO("kata-sandi-yang-panjang\n"))
    given = await _run(accounts.main, ["add", "Budi", "dinkes.18.71", "--password-stdin", "--name", "Budi"], settings)
    generated = await _run(accounts.main, ["add", "sari", "umum.18.71", "--role", "supervisor"], settings)
    out = capsys.readouterr().out
    password = out.rsplit(": ", 1)[1].strip()
    again = await _run(accounts.main, ["add", "sari", "umum.18.71"], settings)
    unknown = await _run(accounts.main, ["add", "x", "bukan.instansi"], settings)
    async with console() as h, h.client() as client:
        budi = await client.post("/login", data={"username": "budi", "password": "kata-sandi-yang-panjang"})
        page = (await client.get("/")).text
        client.cookies.clear()
        sari = await client.post("/login", data={"username": "sari", "password": password})
        wrong = await client.post("/login", data={"username": "sari", "password": "tebakan-salah"})

    assert (given, generated, again, unknown) == (0, 0, 1, 2)
    assert "kata-sandi-yang-panjang" not in out and len(password) >= 16
    assert budi.status_code == sari.status_code == 303 and wrong.status_code == 401
    assert "dinkes.18.71" in page


async def _run(main, argv, settings):
    import asyncio

    return await asyncio.to_thread(main, argv, settings)


async def test_log_in_attempts_are_throttled_per_caller(console):
    async with console(http={"rate_login": {"per_minute": 1, "burst": 3}}) as h, h.client() as client:
        answers = [(await client.post("/login", data={"username": "petugas.bdl", "password": "salah-salah"}))
                   .status_code for _ in range(5)]

    assert answers[:3] == [401, 401, 401]
    assert answers[3:] == [429, 429]


async def test_a_supervisor_sees_the_agencys_figures_and_an_officer_does_not(console):
    fast = Case().routed().deadline(hours=48)
    fast.add(ComplaintResponded(agency_id=fast.agency, text="Selesai"), minutes=120)
    fast.add(ComplaintClosed(reason="resolved", by="petugas.bdl")).add(ComplaintRated(rating=5))
    slow = Case().routed().deadline(hours=1)
    slow.add(ComplaintResponded(agency_id=slow.agency, text="Maaf terlambat"), minutes=240)
    slow.add(ComplaintRated(rating=2))
    async with console() as h, h.client() as client:
        await h.tell(fast, slow)
        await h.login(client, "kepala.bdl")
        supervisor = (await client.get("/")).text
        client.cookies.clear()
        await h.login(client, "petugas.bdl")
        officer = (await client.get("/")).text

    assert 'data-figure="answered_on_time">50% (1/2)' in supervisor
    assert 'data-figure="median_response">3,0 jam' in supervisor  # 121 and 241 minutes
    assert 'data-figure="rating">3,5 / 5 (2 penilaian)' in supervisor
    assert 'id="figures"' not in officer


async def test_the_live_stream_brings_a_new_complaint_and_a_reporters_reply_without_a_reload(console):
    first = Case().routed().deadline()
    second = Case(title="Banjir di jalan protokol").routed().deadline()
    async with console(live_interval_s=0.05, live_max_stream_s=0.4) as h, h.client() as client:
        await h.tell(first)
        await h.login(client, "petugas.bdl")
        before = sse((await client.get("/events/stream")).text)
        await h.tell(second)
        after = sse((await client.get("/events/stream")).text)
        first.add(ComplaintReporterReplied(text="Belum diperbaiki, Pak."), minutes=5)
        stream = f"/events/stream?complaint={first.tracking_number}"
        page_before = sse((await client.get(stream)).text)
        await h.publish(first.events[-1][1], topic=first.events[-1][0])
        page_after = sse((await client.get(stream)).text)
        client.cookies.clear()
        refused = await client.get("/events/stream")

    assert "Banjir" not in before[0]["html"] and "Banjir" in after[0]["html"]
    assert "Belum diperbaiki" not in page_before[0]["html"] and "Belum diperbaiki" in page_after[0]["html"]
    assert refused.status_code == 401


def test_every_demo_officer_belongs_to_an_onboarded_agency_and_the_samples_agency_has_both_roles():
    from lapor_console.settings import DEMO_OFFICERS
    from lapor_shared.onboarding import Onboarding

    onboarded = Onboarding.load()
    assert all(onboarded.agency_code(agency_id) for _, agency_id, _, _ in DEMO_OFFICERS)
    assert {role for _, agency_id, role, _ in DEMO_OFFICERS if agency_id == "umum.18.71"} == {"officer", "supervisor"}
