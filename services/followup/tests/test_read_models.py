"""The read models over HTTP: the reporter's status by tracking number, an agency's work list behind its
own credential, and jurisdiction statistics aggregated over a subtree."""

from __future__ import annotations

import json
import statistics
from datetime import date, datetime

import pytest

from lapor_shared.events.commands import (
    AcknowledgeComplaint,
    RateHandling,
    ReplyToResponse,
    ResolveComplaint,
    RespondToComplaint,
)

from .harness import TOKENS, WIB

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2025, 7, day, hour, minute, tzinfo=WIB)


async def test_the_reporter_reads_the_history_in_bahasa_indonesia_without_notes_or_identities(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7))
    reporter_ref = str(complaint.payload.reporter_ref)
    f.clock.set(at(8, 9))
    await f.command(complaint, AcknowledgeComplaint(agency_id="umum.18.71", officer_ref="NIP-198703112010011002"))
    await f.command(complaint, RespondToComplaint(
        agency_id="umum.18.71", text="Perbaikan dijadwalkan Kamis.", officer_ref="NIP-198703112010011002",
        internal_note="Kontraktor lama bermasalah, jangan disebut ke pelapor.",
    ))

    status, body = await f.http("/v1/status", f"tracking_number={complaint.tracking_number.lower()}")
    assert status == 200
    assert body["tracking_number"] == complaint.tracking_number
    assert (body["status"], body["status_label"]) == ("responded", "Ditindaklanjuti oleh instansi")
    texts = [step["keterangan"] for step in body["history"]]
    assert texts[:4] == [
        "Laporan Anda diteruskan ke Unit Pengaduan Kota Bandar Lampung.",
        "Unit Pengaduan Kota Bandar Lampung wajib menindaklanjuti paling lambat 14 Juli 2025 pukul 23.59 WIB"
        " (5 hari kerja).",
        "Laporan Anda telah diterima oleh Unit Pengaduan Kota Bandar Lampung dan sedang diproses.",
        "Unit Pengaduan Kota Bandar Lampung memberikan tindak lanjut.",
    ]
    assert body["history"][3]["text"] == "Perbaikan dijadwalkan Kamis."
    assert body["deadline"]["stage"] == "auto_close"
    everything = json.dumps(body, ensure_ascii=False)
    for secret in ("Kontraktor", "NIP-1987", reporter_ref, "officer", "internal"):
        assert secret not in everything

    missing_status, missing = await f.http("/v1/status", "tracking_number=LPR-0000-00000")
    assert missing_status == 404 and missing["message_id"]
    assert (await f.http("/v1/status"))[0] == 400


async def test_a_confidential_complaint_answers_the_public_as_an_unknown_number_does(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7), confidential=True, anonymous=True)
    f.clock.set(at(8))
    await f.command(complaint, RespondToComplaint(agency_id="umum.18.71", text="Oknum sudah diperiksa Inspektorat."))
    await f.command(complaint, ReplyToResponse(text="Nama oknum itu Budi di loket 3."))

    status, body = await f.http("/v1/status", f"tracking_number={complaint.tracking_number}")
    unknown_status, unknown = await f.http("/v1/status", "tracking_number=LPR-0000-00000")

    assert (status, body) == (unknown_status, unknown) == (404, unknown)
    everything = json.dumps(body, ensure_ascii=False)
    assert "Inspektorat" not in everything and "Budi" not in everything and "Unit Pengaduan" not in everything


async def test_an_agency_reads_only_its_own_work_list_ordered_by_deadline(followup):
    f = followup
    later = await f.route("18.71", at=at(8), title="Lampu jalan mati")
    sooner = await f.route("18.71", at=at(7), title="Sampah menumpuk")
    neighbour = await f.route("18.01", at=at(7), title="Jembatan rusak")
    done = await f.route("18.71", at=at(7))
    f.clock.set(at(8, 11))
    await f.command(done, RespondToComplaint(agency_id="umum.18.71", text="Sudah."))
    await f.command(done, ResolveComplaint(agency_id="umum.18.71"))
    await f.command(sooner, RespondToComplaint(agency_id="umum.18.71", text="Diangkut besok.",
                                               internal_note="Truk sampah rusak."))
    await f.command(sooner, ReplyToResponse(text="Belum diangkut."))

    status, body = await f.http("/v1/worklist", token=TOKENS["umum.18.71"])
    assert status == 200 and body["agency_id"] == "umum.18.71"
    # both are due on 15 July (the reply restarted the five days): the older complaint comes first
    assert [i["tracking_number"] for i in body["items"]] == [sooner.tracking_number, later.tracking_number]
    assert [i["due_at"] for i in body["items"]] == ["2025-07-15T23:59:59+07:00"] * 2
    assert body["items"][0]["internal_notes"][0]["note"] == "Truk sampah rusak."
    assert all(i["responsible_agency_id"] == "umum.18.71" for i in body["items"])

    status, other = await f.http("/v1/worklist", token=TOKENS["umum.18.01"])
    assert [i["tracking_number"] for i in other["items"]] == [neighbour.tracking_number]
    assert "Truk" not in json.dumps(other)

    assert (await f.http("/v1/worklist", "agency_id=umum.18.01", token=TOKENS["umum.18.71"]))[0] == 403
    assert (await f.http("/v1/worklist"))[0] == 401
    assert (await f.http("/v1/worklist", token="token-tebakan"))[0] == 401
    # the province sees nothing of its regencies' work until a complaint is escalated to it
    assert (await f.http("/v1/worklist", token=TOKENS["umum.18"]))[1]["items"] == []


async def test_the_work_list_puts_the_nearest_deadline_first(followup):
    f = followup
    third = await f.route("18.71", at=at(9))
    first = await f.route("18.71", at=at(7))
    second = await f.route("18.71", at=at(8))
    _, body = await f.http("/v1/worklist", token=TOKENS["umum.18.71"])
    assert [i["tracking_number"] for i in body["items"]] == [
        first.tracking_number, second.tracking_number, third.tracking_number
    ]
    assert [i["due_at"][:10] for i in body["items"]] == ["2025-07-14", "2025-07-15", "2025-07-16"]


async def test_statistics_of_a_province_are_the_sum_of_its_regencies(followup):
    f = followup
    plan = {"18.71": 4, "18.01": 3, "18.02": 2}
    routed = {code: [await f.route(code, at=at(7)) for _ in range(n)] for code, n in plan.items()}
    aceh = await f.route("11.01", at=at(7))

    # some answered in time, some late, one resolved and rated, the rest left to go overdue
    f.clock.set(at(9, 13))
    await f.command(routed["18.71"][0], RespondToComplaint(agency_id="umum.18.71", text="Sudah ditangani."))
    await f.command(routed["18.71"][0], ResolveComplaint(agency_id="umum.18.71"))
    await f.command(routed["18.71"][0], RateHandling(rating=5))
    f.clock.set(at(10, 9))
    await f.command(routed["18.01"][0], AcknowledgeComplaint(agency_id="umum.18.01"))
    await f.command(routed["18.01"][1], RespondToComplaint(agency_id="umum.18.01", text="Dalam proses."))
    await f.command(aceh, RespondToComplaint(agency_id="umum.11.01", text="Sudah."))
    await f.tick(at(15, 1))  # the others miss their deadline
    f.clock.set(at(16, 14))
    await f.command(routed["18.02"][0], RespondToComplaint(agency_id="umum.18.02", text="Terlambat, maaf."))

    async def statistics_of(code: str) -> dict:
        status, body = await f.http("/v1/statistics", f"jurisdiction={code}")
        assert status == 200
        return body

    province = await statistics_of("18")
    regencies = [await statistics_of(code) for code in plan]
    for key in ("total", "open", "overdue", "escalated", "answered", "answered_within_deadline"):
        assert province[key] == sum(r[key] for r in regencies), key
    for status in province["by_status"]:
        assert province["by_status"][status] == sum(r["by_status"][status] for r in regencies), status
    for key in ("rated", "rating_sum"):
        assert province["satisfaction"][key] == sum(r["satisfaction"][key] for r in regencies), key

    assert province["total"] == 9 and province["open"] == 8
    assert province["answered"] == 3 and province["answered_within_deadline"] == 2
    assert province["share_answered_within_deadline"] == round(2 / 3, 4)
    assert province["overdue"] == 6  # 18.71: 3 unanswered, 18.01: acknowledged + routed, 18.02: 1 never answered
    assert province["satisfaction"]["average"] == 5.0
    hours = [(at(9, 13) - at(7)).total_seconds() / 3600, (at(10, 9) - at(7)).total_seconds() / 3600,
             (at(16, 14) - at(7)).total_seconds() / 3600]
    assert province["median_hours_to_first_response"] == round(statistics.median(hours), 2)
    assert {c["code"]: c["total"] for c in province["children"]} == plan

    nation = await statistics_of("ID")
    assert nation["total"] == 10
    assert {c["code"]: c["total"] for c in nation["children"]} == {"18": 9, "11": 1}

    status, body = await f.http("/v1/statistics", "jurisdiction=18")
    assert status == 200 and body["total"] == 9 and body["name"] == "Lampung"
    assert (await f.http("/v1/statistics", "jurisdiction=18.%25"))[0] == 404
    assert "title" not in json.dumps(body)


async def test_operators_add_calendar_days_and_issue_and_revoke_agency_tokens(followup):
    import io

    from lapor_followup.admin import run

    from .harness import settings_for

    f = followup
    settings = settings_for(f.database_url)
    out = io.StringIO()
    await run(["calendar", "add", "2028-12-26", "Cuti Bersama Hari Raya Natal", "--decree", "SKB uji"], settings, out)
    assert "2028-12-26  libur / holiday" in out.getvalue()
    await f.service.poller.refresh_calendar()
    assert not f.service.ctx.calendar.is_working_day(date(2028, 12, 26))

    out = io.StringIO()
    await run(["token", "add", "umum.18.02"], settings, out)
    token = out.getvalue().strip()
    complaint = await f.route("18.02", at=at(7))
    status, body = await f.http("/v1/worklist", token=token)
    assert status == 200 and [i["tracking_number"] for i in body["items"]] == [complaint.tracking_number]
    await run(["token", "revoke", "umum.18.02"], settings, io.StringIO())
    assert (await f.http("/v1/worklist", token=token))[0] == 401


async def test_status_look_ups_are_rate_limited_per_client_and_refusals_share_one_shape(start_followup, clock):
    async with start_followup(clock, http={"rate_lookup": {"per_minute": 60, "burst": 2}}) as f:
        hostile = await f.http("/v1/statistics", "jurisdiction=18%E2%80%AE")  # refused before it costs a token
        answers = [await f.http("/v1/status", "tracking_number=LPR-0000-00000") for _ in range(3)]

    (missing_status, missing), _, (limited_status, limited) = answers
    assert missing_status == 404
    assert missing["reasons"][0]["code"] == "not_found" and missing["error"] == "not_found"  # old keys stay
    assert limited_status == 429 and limited["reasons"][0]["code"] == "rate_limited"
    assert hostile[0] == 400 and hostile[1]["reasons"][0]["code"] == "control_character"
